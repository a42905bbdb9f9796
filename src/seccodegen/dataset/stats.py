"""The study's dataset table (Li et al. Tables 1/4/7): CVEs, commits, projects, files, samples, tokens.

Counted per size subset (``all`` = the whole set) and granularity. Tokens are code tokens
(identifiers, numbers, punctuation: :func:`seccodegen.dataset.contamination.count_tokens`), not a
model tokenizer's, so the figure does not depend on which model is tuned later.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccodegen.dataset.contamination import count_tokens
from seccodegen.dataset.granularity import GRANULARITIES

COLUMNS = [
    "subset",
    "granularity",
    "cves",
    "cwes",
    "commits",
    "projects",
    "files",
    "samples",
    "train_samples",
    "val_samples",
    "tokens",
]


@dataclass
class _Cell:
    cves: set[str] = field(default_factory=set)
    cwes: set[str] = field(default_factory=set)
    commits: set[tuple[str, str]] = field(default_factory=set)
    projects: set[str] = field(default_factory=set)
    files: set[tuple[str, str]] = field(default_factory=set)
    split_counts: Counter = field(default_factory=Counter)
    tokens: int = 0


class StatsAccumulator:
    def __init__(self) -> None:
        self.cells: dict[tuple[str, str], _Cell] = {}

    def add(self, example: dict[str, Any], tokens: int, subset: str = "all") -> None:
        cell = self.cells.setdefault((subset, example["granularity"]), _Cell())
        prov = example.get("provenance", {})
        repo = str(prov.get("repo", "")).lower()
        cell.cves.update(example.get("cve_ids", []))
        cell.cwes.update(example.get("cwe_ids", []))
        cell.commits.add((repo, str(prov.get("sha", "")).lower()))
        cell.projects.add(repo)
        cell.files.add((repo, str(prov.get("path", ""))))
        cell.split_counts[example.get("split", "train")] += 1
        cell.tokens += tokens

    def rows(self) -> list[dict[str, Any]]:
        def order(key: tuple[str, str]) -> tuple[int, int, str]:
            subset, gran = key
            size = -1 if subset == "all" else int(subset.split("-")[1])
            return (size, GRANULARITIES.index(gran) if gran in GRANULARITIES else 9, gran)

        out = []
        for key in sorted(self.cells, key=order):
            c = self.cells[key]
            out.append(
                {
                    "subset": key[0],
                    "granularity": key[1],
                    "cves": len(c.cves),
                    "cwes": len(c.cwes),
                    "commits": len(c.commits),
                    "projects": len(c.projects),
                    "files": len(c.files),
                    "samples": sum(c.split_counts.values()),
                    "train_samples": c.split_counts["train"],
                    "val_samples": c.split_counts["val"],
                    "tokens": c.tokens,
                }
            )
        return out


def write_stats_csv(rows: list[dict[str, Any]], path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


def stats_from_dir(dataset_dir: Path) -> list[dict[str, Any]]:
    """Recount the table from the JSONL files of a built dataset (whole set and size subsets)."""
    from seccodegen.dataset.layout import iter_dataset_records

    acc = StatsAccumulator()
    for subset, _, rec in iter_dataset_records(dataset_dir, with_subsets=True):
        acc.add(rec, count_tokens(rec.get("text", "")), subset)
    return acc.rows()


def drop_summary(dataset_dir: Path) -> list[tuple[str, int]]:
    """(reason, count) from ``dropped.jsonl``, most frequent first."""
    f = dataset_dir / "dropped.jsonl"
    if not f.is_file():
        return []
    counts: Counter = Counter()
    with open(f, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                counts[json.loads(line).get("reason", "?")] += 1
    return counts.most_common()
