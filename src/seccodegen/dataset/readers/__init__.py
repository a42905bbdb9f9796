"""Readers, one per corpus format, registered by name in :data:`READERS`.

Each reader is ``read(path, ctx) -> Iterator[CommitRecord]``: it yields fix commits with their
changed files and provenance, and appends every row/file it cannot use to ``ctx.drops``.
"""

from seccodegen.dataset.readers import (  # noqa: F401  (import registers the readers)
    bigvul,
    crossvul,
    cvefixes,
    debian_patches,
    git_miner,
    pairs,
    vulnfix_jsonl,
)
from seccodegen.dataset.readers.base import READERS, ReaderContext, read_link_csv

__all__ = ["READERS", "ReaderContext", "read_link_csv"]
