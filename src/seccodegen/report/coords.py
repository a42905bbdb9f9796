"""Grid coordinates for judged samples of stages run one by one (sample -> judge -> report).

Such records carry the sample stage's model record ``{spec, adapter, name}`` instead of the
runner's coordinates. The report needs ``model`` to be the base model's name (so a fine-tune is
compared with its own pretrained rows) and ``method`` / ``granularity`` from the adapter's train
manifest; samples without an adapter are the pretrained model (method ``base``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from seccodegen.artifacts import read_manifest
from seccodegen.errors import ArtifactError


def _trained_with(adapter: str) -> dict[str, Any]:
    try:
        manifest = read_manifest(adapter) or {}
    except (ArtifactError, OSError):
        manifest = {}
    return manifest.get("config") or {}


def coords_of_model(value: Any) -> dict[str, str]:
    """``{model, method, granularity}`` from a sample record's ``model`` value (dict or name)."""
    if not isinstance(value, dict):
        return {"model": "-" if value is None else str(value)}
    spec = str(value.get("spec") or value.get("name") or "-")
    name = Path(spec).name if "/" in spec or spec.endswith(".gguf") else spec
    adapter = value.get("adapter")
    if not adapter:
        return {"model": name, "method": "base", "granularity": "-"}
    trained = _trained_with(str(adapter))
    return {
        "model": name,
        "method": str(trained.get("method") or Path(str(adapter)).name),
        "granularity": str(trained.get("granularity") or "-"),
    }


def expand_model_column(samples: pd.DataFrame) -> pd.DataFrame:
    """Replace dict-valued ``model`` cells by names, filling ``method``/``granularity`` where absent."""
    if "model" not in samples.columns or not samples["model"].map(lambda v: isinstance(v, dict)).any():
        return samples
    df = samples.copy()
    found: dict[str, dict[str, str]] = {}
    rows = []
    for value in df["model"]:
        key = repr(sorted(value.items())) if isinstance(value, dict) else repr(value)
        rows.append(found.setdefault(key, coords_of_model(value)))
    df["model"] = [r["model"] for r in rows]
    for col in ("method", "granularity"):
        if col not in samples.columns:
            df[col] = [r.get(col, "-") for r in rows]
    return df
