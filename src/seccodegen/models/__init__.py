"""Model loading: HF folders, hub ids, GGUF files (converted once to a bf16 folder), tiny test models."""

from __future__ import annotations

import importlib
from typing import Any

# name -> module that defines it; imported on first use, so importing the package (the CLI does,
# for the config dataclass) stays fast
_EXPORTS = {
    "load_model": "seccodegen.models.loader",
    "load_tokenizer": "seccodegen.models.loader",
    "resolve_model_dir": "seccodegen.models.loader",
}
__all__ = ["load_model", "load_tokenizer", "resolve_model_dir"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
