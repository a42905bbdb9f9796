"""``cvefixes`` and ``androidcvefixes``: the CVEfixes SQLite database (Bhandari et al. 2021).

Tables read (all columns TEXT, missing values stored as the string ``'None'``):
``fixes(cve_id, hash, repo_url)``, ``commits(hash, repo_url, msg, committer_date, ...)``,
``file_change(file_change_id, hash, filename, old_path, new_path, change_type, code_before,
code_after, programming_language, ...)``, ``method_change(file_change_id, name, signature, code,
before_change, ...)``, ``cwe_classification(cve_id, cwe_id)``. AndroidCVEfixes uses the same
schema. When a file row carries no code, its ``method_change`` rows (before/after pairs matched
by signature) are used as function-scoped changes instead.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from seccodegen.dataset.changes import CommitRecord, FileChange, clean_cve_ids, clean_cwe_ids, repo_from_url
from seccodegen.dataset.languages import language_from_name, language_of_path
from seccodegen.dataset.readers.base import READERS, ReaderContext, enrich_from_links
from seccodegen.errors import InputError
from seccodegen.inputs import sqlite


def _none(value: object) -> str | None:
    if value is None:
        return None
    s = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return None if s in ("None", "nan", "") else s


def _code(value: object) -> str | None:
    """Source text, decoded strictly: a blob in an unknown encoding raises UnicodeDecodeError."""
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    return _none(value)


def read_cvefixes_db(path: Path, ctx: ReaderContext, name: str) -> Iterator[CommitRecord]:
    con = sqlite.open_db(path, "the CVEfixes .db file")
    try:
        yield from _read(con, path, ctx, name)
    finally:
        con.close()


def _read(con: sqlite3.Connection, path: Path, ctx: ReaderContext, name: str) -> Iterator[CommitRecord]:
    try:
        tables = sqlite.tables(con)
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path}: corrupt SQLite database ({exc})") from None
    missing = {"fixes", "file_change", "cwe_classification"} - tables
    if missing:
        raise InputError(f"{path}: no table(s) {', '.join(sorted(missing))}; is this a CVEfixes database?")
    fixes: dict[str, tuple[str, set[str]]] = {}
    for cve, sha, url in sqlite.select(con, path, "fixes", ["cve_id", "hash", "repo_url"]):
        sha_s = _none(sha) or ""
        repo, cves = fixes.setdefault(sha_s, (repo_from_url(_none(url) or ""), set()))
        cves.update(clean_cve_ids(_none(cve)))
    cwes_of: dict[str, set[str]] = defaultdict(set)
    for cve, cwe in sqlite.select(con, path, "cwe_classification", ["cve_id", "cwe_id"]):
        cwes_of[(_none(cve) or "").upper()].update(clean_cwe_ids(_none(cwe)))
    meta: dict[str, tuple[str, str | None]] = {}
    if "commits" in tables:
        for sha, msg, date in sqlite.select(con, path, "commits", ["hash", "msg", "committer_date"]):
            meta[_none(sha) or ""] = (_none(msg) or "", _none(date))
    methods: dict[str, list[tuple]] = defaultdict(list)
    if "method_change" in tables:
        cols = ["file_change_id", "name", "signature", "code", "before_change", "method_change_id"]
        for row in sqlite.select(con, path, "method_change", cols):
            methods[_none(row[0]) or ""].append(row)
    file_cols = [
        "file_change_id", "hash", "filename", "old_path", "new_path", "change_type", "code_before",
        "code_after", "programming_language",
    ]  # fmt: skip
    rows = sqlite.select(con, path, "file_change", file_cols, "ORDER BY hash")
    current: CommitRecord | None = None
    for row in rows:
        fc_id, sha = _none(row[0]) or "", _none(row[1]) or ""
        loc = f"{path}:file_change[{fc_id}]"
        if current is not None and current.sha != sha:
            yield from _finish(current, ctx)
            current = None
        if sha not in fixes:
            ctx.drop(loc, "corrupt row", name, f"hash {sha!r} has no row in fixes")
            continue
        if current is None:
            repo, cves = fixes[sha]
            msg, date = meta.get(sha, ("", None))
            cwes = sorted({c for cve in cves for c in cwes_of.get(cve, ())})
            current = CommitRecord(
                name, repo, sha, sorted(cves), clean_cwe_ids(cwes), [], loc, name, date, msg
            )
        current.files += _file_changes(row, loc, ctx, name, methods.get(fc_id, []))
    if current is not None:
        yield from _finish(current, ctx)


def _finish(record: CommitRecord, ctx: ReaderContext) -> Iterator[CommitRecord]:
    if not record.files:
        ctx.drop(
            record.location, "no usable changed file in commit", record.source, f"{record.repo}@{record.sha}"
        )
        return
    enrich_from_links(record, ctx)
    yield record


def _file_changes(
    row: tuple, loc: str, ctx: ReaderContext, name: str, methods: list[tuple]
) -> list[FileChange]:
    try:
        path = _none(row[4]) or _none(row[3]) or _none(row[2]) or ""
        before, after = _code(row[6]), _code(row[7])
    except UnicodeDecodeError as exc:
        ctx.drop(loc, "unknown encoding (not UTF-8)", name, str(exc))
        return []
    language = language_of_path(path) or language_from_name(_none(row[8]))
    problem = (
        ctx.file_problem(path, before, after)
        if language_of_path(path)
        else (None if language else "not a C/C++/Java/Python file")
    )
    if problem:
        ctx.drop(loc, problem, name, path)
        return []
    if before is not None or after is not None:
        return [FileChange(path, before, after, language or "c", "file", loc)]
    # no file text: fall back to the method pairs (vulnerable method, fixed method) by signature
    by_sig: dict[str, dict[str, str]] = defaultdict(dict)
    for m in methods:
        side = "before" if (_none(m[4]) or "").lower() == "true" else "after"
        by_sig[_none(m[2]) or _none(m[1]) or ""][side] = _none(m[3]) or ""
    out = []
    for sig, pair in sorted(by_sig.items()):
        if "after" in pair:
            out.append(
                FileChange(
                    path,
                    pair.get("before"),
                    pair["after"],
                    language or "c",
                    "function",
                    f"{loc} method {sig}",
                    {"function": sig},
                )
            )
    if not out:
        ctx.drop(loc, "no code in file_change or method_change", name, path)
    return out


@READERS.register("cvefixes")
def read_cvefixes(path: Path, ctx: ReaderContext) -> Iterator[CommitRecord]:
    return read_cvefixes_db(path, ctx, "cvefixes")


@READERS.register("androidcvefixes")
def read_androidcvefixes(path: Path, ctx: ReaderContext) -> Iterator[CommitRecord]:
    return read_cvefixes_db(path, ctx, "androidcvefixes")
