"""Draw a stratified review set from judged samples (by model, method, CWE and judge verdict).

Size: Cochran's formula for a proportion, n0 = z^2 p (1-p) / e^2 with p = 0.5 (the most
conservative), with the finite-population correction n = n0 / (1 + (n0 - 1) / N). For 95% / 5%
that is 385 for a large population; the study hand-checked 378 samples.
Allocation: proportional to stratum size (largest remainders), at least one per stratum while
the budget allows, seeded.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

from scipy.stats import norm

from seccodegen.errors import InputError
from seccodegen.records import read_jsonl

SCHEMA_VERSION = 1


def required_sample_size(population: int, confidence: float = 0.95, margin: float = 0.05) -> int:
    if population <= 0:
        return 0
    if not (0 < confidence < 1 and 0 < margin < 1):
        raise ValueError("confidence and margin must be in (0, 1)")
    z = norm.ppf(1 - (1 - confidence) / 2)
    n0 = z * z * 0.25 / (margin * margin)
    return min(population, math.ceil(n0 / (1 + (n0 - 1) / population)))


def verdict(record: dict[str, Any]) -> str:
    if not record.get("valid"):
        return "invalid"
    sec = record.get("secure")
    return "undecided" if sec is None else ("secure" if sec else "vulnerable")


def stratum(record: dict[str, Any]) -> tuple[str, str, str, str]:
    model = record.get("model")
    name = model.get("name") or model.get("spec", "") if isinstance(model, dict) else str(model or "-")
    method = record.get("method") or ("adapter" if isinstance(model, dict) and model.get("adapter") else "base")
    return (str(name), str(method), str(record.get("cwe", "-")), verdict(record))


def find_results(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_file():
            found.append(p)
        elif p.is_dir():
            found += sorted(p.rglob("results.jsonl"))
        else:
            raise InputError(f"{p} does not exist")
    if not found:
        raise InputError(f"no results.jsonl under {', '.join(paths)} (run `seccodegen judge` first)")
    return found


def allocate(sizes: dict[Any, int], total: int) -> dict[Any, int]:
    """Proportional allocation of ``total`` over strata, >= 1 each while possible."""
    pop = sum(sizes.values())
    if total >= pop:
        return dict(sizes)
    keys = sorted(sizes, key=lambda k: (-sizes[k], str(k)))
    alloc = {k: 0 for k in keys}
    for k in keys[:total]:  # one each first, largest strata first
        alloc[k] = 1
    left = total - sum(alloc.values())
    if left > 0:
        quotas = {k: sizes[k] * total / pop - alloc[k] for k in keys}
        for k in keys:
            extra = min(sizes[k] - alloc[k], max(0, math.floor(quotas[k])), left)
            alloc[k] += extra
            left -= extra
        for k in sorted(keys, key=lambda k: -(quotas[k] - math.floor(quotas[k]))):
            if left <= 0:
                break
            if alloc[k] < sizes[k]:
                alloc[k] += 1
                left -= 1
    return alloc


def draw(records: list[dict[str, Any]], n: int, seed: int = 0) -> list[dict[str, Any]]:
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        groups[stratum(r)].append(r)
    alloc = allocate({k: len(v) for k, v in groups.items()}, n)
    rng = random.Random(seed)
    chosen = []
    for key in sorted(groups):
        items = sorted(groups[key], key=lambda r: str(r.get("id")))
        chosen += rng.sample(items, alloc[key])
    return chosen


def load_judged(paths: list[str]) -> list[dict[str, Any]]:
    records = []
    for path in find_results(paths):
        for r in read_jsonl(path):
            if "id" not in r or "code" not in r:
                raise InputError(f"{path}: record without id/code; pass judge results.jsonl files")
            records.append(r)
    return records
