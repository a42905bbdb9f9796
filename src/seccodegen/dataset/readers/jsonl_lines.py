"""Line-numbered JSONL reading for readers: bad lines become drops, never crashes."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seccodegen.errors import InputError


def jsonl_files(path: Path) -> list[Path]:
    """``path`` itself, or every ``*.jsonl``/``*.jsonl.gz`` below a directory (sorted)."""
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith((".jsonl", ".jsonl.gz")))
    raise InputError(f"{path} does not exist; check the --source path")


def iter_numbered(path: Path) -> Iterator[tuple[str, dict[str, Any] | None, str]]:
    """Yield ``(location, object or None, error)`` for every non-blank line of a (gz) JSONL file."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:  # bytes: a bad encoding on one line must not stop the rest
        lineno = 0
        while True:
            try:
                raw = fh.readline()
            except (OSError, EOFError) as exc:  # truncated gzip
                yield f"{path}:{lineno + 1}", None, f"unreadable file tail ({exc})"
                return
            if not raw:
                return
            lineno += 1
            if not raw.strip():
                continue
            loc = f"{path}:{lineno}"
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield loc, None, f"not UTF-8 ({exc.reason} at byte {exc.start})"
                continue
            try:
                obj = json.loads(text)
            except ValueError as exc:
                yield loc, None, f"invalid JSON ({exc})"
                continue
            if not isinstance(obj, dict):
                yield loc, None, "line is not a JSON object"
                continue
            yield loc, obj, ""
