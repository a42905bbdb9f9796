"""Reading a built dataset directory back: ``<granularity>/{train,val}.jsonl`` and the nested
``<granularity>/size-<n>/{train,val}.jsonl`` subsets (the layout ``build.run`` writes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seccodegen.errors import InputError

SPLITS = ("train", "val")


def iter_dataset_records(
    dataset_dir: Path, with_subsets: bool = False
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield ``(subset, file, record)``; subset is ``"all"`` or ``"size-<n>"`` (only with_subsets)."""
    found = False
    for gran_dir in sorted(p for p in dataset_dir.iterdir() if p.is_dir()):
        targets = [("all", gran_dir)]
        if with_subsets:
            targets += [(s.name, s) for s in sorted(gran_dir.iterdir()) if s.is_dir() and s.name.startswith("size-")]
        for subset, folder in targets:
            for split in SPLITS:
                f = folder / f"{split}.jsonl"
                if not f.is_file():
                    continue
                found = True
                with open(f, encoding="utf-8") as fh:
                    for line in fh:
                        if line.strip():
                            yield subset, str(f), json.loads(line)
    if not found:
        raise InputError(f"{dataset_dir} holds no <granularity>/train.jsonl; is it a dataset directory?")
