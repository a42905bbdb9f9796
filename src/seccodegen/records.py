"""JSONL records with schema versions and content hashes, read with per-line error reporting."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from seccodegen.errors import InputError
from seccodegen.inputs import iter_lines, parse_json
from seccodegen.inputs.structured import ParseError


def content_hash(*parts: str, length: int = 16) -> str:
    """sha256 over the parts (joined by NUL), truncated to ``length`` hex characters."""
    h = hashlib.sha256()
    for i, part in enumerate(parts):
        if i:
            h.update(b"\0")
        h.update(part.encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:length]


def _open_text(path: Path, mode: str, gzipped: bool | None = None) -> IO[str]:
    """``gzipped``: None = when the name ends in .gz (a temp file of a .gz says so itself)."""
    if path.suffix == ".gz" if gzipped is None else gzipped:
        return gzip.open(path, mode + "t", encoding="utf-8")  # type: ignore[return-value]
    return open(path, mode, encoding="utf-8")


@dataclass(frozen=True)
class BadLine:
    """A line that could not be parsed: where it is and why (counted, never silently dropped)."""

    path: str
    line: int
    reason: str


def iter_jsonl(path: str | Path, bad: list[BadLine] | None = None) -> Iterator[dict[str, Any]]:
    """Yield JSON objects from a (optionally .gz) JSONL file.

    A malformed line raises :class:`InputError` naming file and line, unless a ``bad`` list is
    given, in which case it is appended there and skipped (the caller reports the count).
    A truncated last line (a killed writer) is treated the same way.
    """
    p = Path(path)
    for line in iter_lines(p, "a JSONL file"):
        if line.text is not None and not line.text.strip():
            continue
        try:
            if line.error:
                raise ParseError(line.error)
            obj = parse_json(line.text or "")
            if not isinstance(obj, dict):
                raise ParseError("not a JSON object")
        except ParseError as exc:
            reason = str(exc)
            if bad is None:
                raise InputError(f"{p}:{line.number}: {reason}; fix or remove that line") from None
            bad.append(BadLine(str(p), line.number, reason))
            continue
        yield obj


def read_jsonl(path: str | Path, bad: list[BadLine] | None = None) -> list[dict[str, Any]]:
    return list(iter_jsonl(path, bad))


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Write records atomically (temp file + rename); returns the count."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    n = 0
    with _open_text(tmp, "w", gzipped=p.suffix == ".gz") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    os.replace(tmp, p)
    return n


class JsonlAppender:
    """Append records one at a time, flushed and fsynced, so a killed run keeps what it wrote.

    On open, a torn last line (no trailing newline) left by a kill is cut off.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            data = self.path.read_bytes()
            if data and not data.endswith(b"\n"):
                self.path.write_bytes(data[: data.rfind(b"\n") + 1])
        self._fh = open(self.path, "a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        self._fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        self._fh.flush()

    def sync(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if not self._fh.closed:
            self.sync()
            self._fh.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
