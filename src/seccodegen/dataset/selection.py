"""Seeded choices: the train/validation split by file and the nested size subsets by commit."""

from __future__ import annotations

import random

from seccodegen.dataset.changes import CommitRecord


def file_key(record: CommitRecord, path: str) -> str:
    return f"{record.repo.lower()}\0{path}"


def commit_key(record: CommitRecord) -> str:
    return f"{record.repo.lower()}\0{record.sha.lower()}"


def split_by_file(records: list[CommitRecord], val_fraction: float, seed: int) -> dict[str, str]:
    """{file key: "train" | "val"}: a seeded ``val_fraction`` of distinct files (repo, path) go to val.

    Every example cut from one file lands in the same split, at every granularity, so no
    validation function has its own file in training.
    """
    keys = sorted({file_key(r, f.path) for r in records for f in r.files})
    random.Random(f"split:{seed}").shuffle(keys)
    n_val = round(len(keys) * val_fraction)
    if val_fraction > 0 and n_val == 0 and len(keys) >= 2:
        n_val = 1
    val = set(keys[:n_val])
    return {k: ("val" if k in val else "train") for k in keys}


def size_subsets(
    records: list[CommitRecord], sizes: tuple[int, ...], seed: int
) -> tuple[dict[str, list[int]], list[int]]:
    """({commit key: [sizes whose subset holds it]}, [sizes larger than the corpus, skipped]).

    Commits are shuffled once with the seed; subset n is the first n, so each subset contains
    every smaller one.
    """
    keys = sorted({commit_key(r) for r in records})
    random.Random(f"sizes:{seed}").shuffle(keys)
    rank = {k: i for i, k in enumerate(keys)}
    usable = [n for n in sorted(sizes) if n <= len(keys)]
    skipped = [n for n in sorted(sizes) if n > len(keys)]
    member = {k: [n for n in usable if rank[k] < n] for k in keys}
    return member, skipped
