"""HumanEval-X C++ pass@k (RQ4 of the study) and task-by-task Fisher comparisons."""

from __future__ import annotations

import importlib
from typing import Any

# name -> module that defines it; imported on first use, so importing the package (the CLI does,
# for the config dataclass) stays fast
_EXPORTS = {
    "HumanEvalConfig": "seccodegen.humaneval.config",
    "run": "seccodegen.humaneval.core",
}
__all__ = ["HumanEvalConfig", "run"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
