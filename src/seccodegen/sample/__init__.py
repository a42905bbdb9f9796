"""The sample stage: N completions per (scenario, prompt style), batched, seeded, resumable.

``run(SampleConfig) -> Path`` writes ``OUT/samples.jsonl`` (schema: docs/architecture.md);
``make_engine(...)`` gives the sampling engine on its own (HumanEval uses it).
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> module that defines it; imported on first use, so importing the package (the CLI does,
# for the config dataclass) stays fast
_EXPORTS = {
    "Completion": "seccodegen.sample.engine",
    "ENGINES": "seccodegen.sample.engine",
    "Engine": "seccodegen.sample.engine",
    "SampleConfig": "seccodegen.sample.config",
    "make_engine": "seccodegen.sample.engine",
    "run": "seccodegen.sample.stage",
}
__all__ = ["Completion", "ENGINES", "Engine", "SampleConfig", "make_engine", "run"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
