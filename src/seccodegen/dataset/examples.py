"""Turn one merged fix commit into ``dataset_example`` records (runs in worker processes)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from seccodegen.dataset.changes import CommitRecord, Dropped
from seccodegen.dataset.contamination import NgramIndex, count_tokens
from seccodegen.dataset.granularity import cut_change
from seccodegen.records import content_hash

SCHEMA_VERSION = 1
RECORD_KIND = "dataset_example"

_INDEX: NgramIndex | None = None  # scenario n-grams, set once per worker by init_worker


def init_worker(index: NgramIndex | None) -> None:
    global _INDEX
    _INDEX = index


@dataclass
class Task:
    record: CommitRecord
    granularities: tuple[str, ...]
    splits: dict[str, str]  # file path -> "train" | "val"
    sizes: list[int]  # size subsets that hold this commit


@dataclass
class Produced:
    example: dict[str, Any]
    sizes: list[int]
    tokens: int
    text_hash: str
    overlaps: dict[str, int] = field(default_factory=dict)


def commit_examples(task: Task) -> tuple[list[Produced], list[Dropped]]:
    rec = task.record
    out: list[Produced] = []
    drops: list[Dropped] = []
    for change in rec.files:
        try:
            result = cut_change(change, task.granularities)
        except Exception as exc:  # noqa: BLE001  a parser crash on one odd file must not stop the build
            drops.append(
                Dropped(change.location, "could not cut file", rec.source, f"{type(exc).__name__}: {exc}")
            )
            continue
        for problem in result.problems:
            drops.append(Dropped(change.location, problem.split(" (")[0], rec.source, change.path))
        extra = dict(change.extra)
        instruction = extra.pop("instruction", None)  # what the code does, in words (pair readers)
        for cut in result.cuts:
            provenance = {
                "source": rec.source,
                "reader": rec.reader,
                "repo": rec.repo,
                "sha": rec.sha,
                "path": change.path,
                "location": change.location,
                "scope": change.scope,
                "start_line": cut.start_line,
                "date": rec.date,
                "also_in": list(rec.also_in),
                **extra,
                **cut.extra,
            }
            example = {
                "granularity": cut.granularity,
                "language": change.language,
                "text": cut.text,
                "before": cut.before,
                "changed_lines": cut.changed_lines,
                "instruction": instruction,
                "cwe_ids": list(rec.cwe_ids),
                "cve_ids": list(rec.cve_ids),
                "provenance": provenance,
                "split": task.splits[change.path],
                "schema_version": SCHEMA_VERSION,
                "record": RECORD_KIND,
            }
            example["id"] = content_hash(
                cut.granularity, change.language, cut.text, json.dumps(provenance, sort_keys=True)
            )
            text_hash = hashlib.sha1(cut.text.encode("utf-8", "surrogatepass")).hexdigest()
            overlaps = _INDEX.matches(cut.text) if _INDEX is not None else {}
            out.append(Produced(example, task.sizes, count_tokens(cut.text), text_hash, overlaps))
    return out, drops
