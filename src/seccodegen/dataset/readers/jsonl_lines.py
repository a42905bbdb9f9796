"""Line-numbered JSONL reading for readers: bad lines become drops, never crashes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seccodegen.errors import InputError
from seccodegen.inputs import check_file, iter_lines, parse_json
from seccodegen.inputs.structured import ParseError

if TYPE_CHECKING:
    from seccodegen.dataset.readers.base import ReaderContext


def jsonl_files(path: Path, ctx: ReaderContext | None = None, source: str = "") -> list[Path]:
    """``path`` itself, or every ``*.jsonl``/``*.jsonl.gz`` below a directory (sorted). Below a
    directory, a matching name that is not a regular file (FIFO, dangling link, ...) is dropped."""
    if os.path.isdir(path):
        files = []
        for p in sorted(q for q in path.rglob("*") if q.name.endswith((".jsonl", ".jsonl.gz"))):
            try:
                files.append(check_file(p, "a JSONL file"))
            except InputError as exc:
                if not os.path.isdir(p) and ctx is not None:
                    ctx.drop(str(p), "not a readable file", source, str(exc))
        return files
    return [check_file(path, "a JSONL file or a folder of them; check the --source path")]


def iter_numbered(path: Path) -> Iterator[tuple[str, dict[str, Any] | None, str]]:
    """Yield ``(location, object or None, error)`` for every non-blank line of a (gz) JSONL file;
    a damaged gzip ends the file with one ``unreadable file tail`` entry."""
    lineno = 0
    try:
        for line in iter_lines(path, "a JSONL file"):
            lineno = line.number
            if line.text is not None and not line.text.strip():
                continue
            loc = f"{path}:{line.number}"
            if line.error:
                yield loc, None, line.error
                continue
            try:
                obj = parse_json(line.text or "")
            except ParseError as exc:
                yield loc, None, str(exc)
                continue
            if not isinstance(obj, dict):
                yield loc, None, "line is not a JSON object"
                continue
            yield loc, obj, ""
    except InputError as exc:  # truncated or corrupt gzip: what was read before it is kept
        yield f"{path}:{lineno + 1}", None, f"unreadable file tail ({exc})"
