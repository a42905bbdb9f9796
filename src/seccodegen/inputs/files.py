"""Opening input files safely: what is at the path, its bytes (gzip or plain), and its UTF-8 text."""

from __future__ import annotations

import errno
import gzip
import os
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from seccodegen.errors import InputError

GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _stat(path: Path, what: str) -> os.stat_result:
    try:
        return os.stat(path)  # follows links; never opens, so a FIFO cannot block us
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{path}: symbolic link loop where {what} is expected") from None
        if os.path.islink(path):
            raise InputError(f"{path}: dangling symbolic link (its target does not exist)") from None
        if exc.errno == errno.ENOENT:
            raise InputError(f"{path} does not exist; give {what}") from None
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def check_file(path: str | Path, what: str = "a file") -> Path:
    """``path`` if it is a regular file (after links); else InputError saying what is there."""
    p = Path(path)
    st = _stat(p, what)
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{p} is {_kind(st.st_mode)}, but {what} is expected")
    return p


def check_dir(path: str | Path, what: str = "a directory") -> Path:
    p = Path(path)
    st = _stat(p, what)
    if not stat.S_ISDIR(st.st_mode):
        raise InputError(f"{p} is {'a file' if stat.S_ISREG(st.st_mode) else _kind(st.st_mode)}, but {what} is expected")
    return p


def is_gzip(path: Path) -> bool:
    return path.suffix == ".gz"


def read_bytes(path: str | Path, what: str = "a file") -> bytes:
    """All bytes of a regular file, gunzipped when named ``.gz``."""
    p = check_file(path, what)
    try:
        if is_gzip(p):
            with gzip.open(p, "rb") as fh:
                return fh.read()
        return p.read_bytes()
    except GZIP_ERRORS as exc:
        raise InputError(f"{p}: truncated or corrupt gzip ({exc or type(exc).__name__}); download it again") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror or exc})") from None


def utf8_problem(data: bytes, offset: int = 0) -> str | None:
    """None if ``data`` is UTF-8, else where it is not (``offset`` = position of ``data`` in its file)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"byte offset {offset + exc.start}: not UTF-8 (byte 0x{data[exc.start]:02x})"
    return None


def decode_bytes(data: bytes, path: str | Path, line: int | None = None, offset: int = 0) -> str:
    """Strict UTF-8; a bad byte raises InputError naming file, line and the byte offset in the file."""
    problem = utf8_problem(data, offset)
    if problem:
        where = f"{path}:{line}" if line is not None else str(path)
        raise InputError(f"{where}: {problem}; save the file as UTF-8")
    return data.decode("utf-8")


def read_text(path: str | Path, what: str = "a file") -> str:
    """The file's text (UTF-8, gunzipped when ``.gz``); a BOM is dropped."""
    text = decode_bytes(read_bytes(path, what), path)
    return text[1:] if text.startswith("\ufeff") else text


@dataclass(frozen=True)
class Line:
    """One line of a text file: its 1-based number and its text, or why it could not be decoded."""

    number: int
    text: str | None
    error: str | None = None


def iter_lines(path: str | Path, what: str = "a file") -> Iterator[Line]:
    """Stream a (``.gz``) file's lines. A line that is not UTF-8 comes back with ``error`` set
    (callers record or raise it); damaged gzip raises InputError at the point it is found."""
    p = check_file(path, what)
    offset = 0
    try:
        with (gzip.open(p, "rb") if is_gzip(p) else open(p, "rb")) as fh:
            for number, raw in enumerate(fh, 1):
                try:
                    yield Line(number, raw.decode("utf-8"))
                except UnicodeDecodeError:
                    yield Line(number, None, utf8_problem(raw, offset))
                offset += len(raw)
    except GZIP_ERRORS as exc:
        raise InputError(
            f"{p}: truncated or corrupt gzip after {offset} bytes ({exc or type(exc).__name__}); download it again"
        ) from None
