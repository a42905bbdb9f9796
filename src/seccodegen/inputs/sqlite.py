"""Read-only SQLite: a database from another schema version names its missing columns; a corrupt
page is one line, not ``sqlite3.DatabaseError`` from the middle of a query."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from seccodegen.errors import InputError
from seccodegen.inputs.files import check_file


def open_db(path: str | Path, what: str = "a SQLite database") -> sqlite3.Connection:
    p = check_file(path, what)
    try:
        con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        con.text_factory = bytes  # decode per cell: one bad blob must not abort the query
        con.execute("SELECT name FROM sqlite_master").fetchall()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{p}: not a readable SQLite database ({exc})") from None
    return con


def tables(con: sqlite3.Connection) -> set[str]:
    rows = con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
    return {r[0].decode() if isinstance(r[0], bytes) else r[0] for r in rows}


def columns(con: sqlite3.Connection, table: str) -> set[str]:
    rows = con.execute(f"PRAGMA table_info({table})").fetchall()
    return {r[1].decode() if isinstance(r[1], bytes) else r[1] for r in rows}


def select(con: sqlite3.Connection, path: str | Path, table: str, cols: list[str], tail: str = "") -> Iterator[tuple]:
    """``SELECT cols FROM table tail`` row by row; missing columns and corruption are InputErrors."""
    try:
        have = columns(con, table)
        missing = [c for c in cols if c not in have]
        if missing:
            raise InputError(
                f"{path}: table {table!r} has no column(s) {', '.join(missing)}; is this database from "
                "a different CVEfixes version?"
            )
        yield from con.execute(f"SELECT {', '.join(cols)} FROM {table} {tail}")
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path}: corrupt SQLite database while reading {table!r} ({exc})") from None
