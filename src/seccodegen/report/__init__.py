"""The report stage: the study's tables, per-CWE plots and Fisher tests."""

from __future__ import annotations

import importlib
from typing import Any

# name -> module that defines it; imported on first use, so importing the package (the CLI does,
# for the config dataclass) stays fast
_EXPORTS = {
    "ReportConfig": "seccodegen.report.config",
    "run": "seccodegen.report.core",
}
__all__ = ["ReportConfig", "run"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
