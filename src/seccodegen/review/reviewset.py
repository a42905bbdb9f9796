"""A review set: ``items.jsonl`` (what the page shows) + ``manifest.json`` + ``labels.sqlite``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seccodegen.artifacts import open_artifact
from seccodegen.errors import InputError
from seccodegen.records import read_jsonl, write_jsonl
from seccodegen.review.sampling import (
    SCHEMA_VERSION,
    draw,
    load_judged,
    required_sample_size,
    stratum,
    verdict,
)


def to_item(record: dict[str, Any]) -> dict[str, Any]:
    code = record.get("code", "")
    completion = record.get("completion") or ""
    at = code.find(completion) if completion else -1
    model, method, cwe, judge = stratum(record)
    return {
        "schema_version": SCHEMA_VERSION,
        "record": "review_item",
        "id": str(record["id"]),
        "scenario_id": record.get("scenario_id") or str(record["id"]),
        "language": record.get("language", ""),
        "cwe": cwe,
        "model": model,
        "method": method,
        "verdict": judge,
        "secure": record.get("secure"),
        "correct": record.get("correct"),
        "code": code,
        "findings": record.get("findings") or [],
        "prompt_lines": code[:at].count("\n") if at >= 0 else 0,
        "completion_lines": completion.count("\n") + 1 if at >= 0 else 0,
    }


def create_reviewset(
    results: list[str], out: str, n: int | None = None, confidence: float = 0.95, margin: float = 0.05,
    seed: int = 0, force: bool = False,
) -> tuple[Path, int, int]:
    """Returns (dir, items drawn, population). ``n`` None = the size for confidence/margin."""
    records = load_judged(results)
    size = n if n is not None else required_sample_size(len(records), confidence, margin)
    cfg = {"results": results, "n": size, "confidence": confidence, "margin": margin, "seed": seed}
    art = open_artifact(out, "review", cfg, SCHEMA_VERSION, force=force)
    items = [to_item(r) for r in draw(records, size, seed)]
    write_jsonl(art.file("items.jsonl"), items)
    art.finish({"items.jsonl": len(items), "population": len(records)})
    return art.path, len(items), len(records)


def load_reviewset(path: str | Path) -> list[dict[str, Any]]:
    items = Path(path) / "items.jsonl"
    if not items.is_file():
        raise InputError(f"{path} is not a review set (no items.jsonl); create one with `seccodegen review sample`")
    return read_jsonl(items)


__all__ = ["create_reviewset", "load_reviewset", "to_item", "verdict"]
