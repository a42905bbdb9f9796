"""``bigvul``: BigVul's ``MSR_data_cleaned.csv`` (Fan et al., MSR 2020), one row per function.

Columns used: ``commit_id``, ``CVE ID``, ``CWE ID``, ``codeLink``, ``project``, ``lang``,
``file_name``, ``func_before``, ``func_after``, ``vul`` (1 = the fix changed this function).
Rows with ``vul`` = 0 are functions the fix did not touch and are dropped as such.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from pathlib import Path

from seccodegen.dataset.changes import (
    CommitRecord,
    FileChange,
    clean_cve_ids,
    clean_cwe_ids,
    parse_commit_link,
)
from seccodegen.dataset.languages import is_test_path, language_from_name, language_of_path
from seccodegen.dataset.readers.base import READERS, ReaderContext, enrich_from_links
from seccodegen.errors import InputError
from seccodegen.inputs import check_file

NAME = "bigvul"
REQUIRED = ("func_before", "func_after", "commit_id")


@READERS.register(NAME)
def read_bigvul(path: Path, ctx: ReaderContext) -> Iterator[CommitRecord]:
    check_file(path, "BigVul's MSR_data_cleaned.csv")
    csv.field_size_limit(sys.maxsize)  # func_before of a huge function exceeds the 128 KiB default
    grouped: dict[tuple[str, str], CommitRecord] = {}
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(
                f"{path}: no {', '.join(missing)} column(s); this is not MSR_data_cleaned.csv "
                "(a link list like all_linkNotNull.csv goes to --links)"
            )
        for lineno, row in enumerate(reader, 2):  # line 1 is the header; multi-line cells shift this
            loc = f"{path}:row{lineno - 1}"
            if None in row or None in row.values():  # extra cells land under None, missing ones are None
                ctx.drop(loc, "corrupt row", NAME, "more or fewer cells than the header has columns")
                continue
            try:
                _add_row(row, loc, ctx, grouped)
            except (KeyError, ValueError, TypeError) as exc:
                ctx.drop(loc, "corrupt row", NAME, str(exc))
    for rec in grouped.values():
        enrich_from_links(rec, ctx)
        yield rec


def _add_row(row: dict, loc: str, ctx: ReaderContext, grouped: dict[tuple[str, str], CommitRecord]) -> None:
    before, after = row.get("func_before") or "", row.get("func_after") or ""
    if str(row.get("vul", "1")).strip() not in ("1", "1.0", "True", "true"):
        ctx.drop(loc, "function not changed by the fix (vul=0)", NAME)
        return
    if any("\udc80" <= ch <= "\udcff" for ch in before + after):
        ctx.drop(loc, "unknown encoding (not UTF-8)", NAME)
        return
    file_name = row.get("file_name") or ""
    language = language_from_name(row.get("lang")) or language_of_path(file_name)
    if language is None:
        ctx.drop(loc, "not a C/C++/Java/Python file", NAME, f"lang={row.get('lang')!r} file={file_name!r}")
        return
    problem = ctx.text_problem(before, after)
    if problem is None and file_name and not ctx.include_tests and is_test_path(file_name):
        problem = "test-only file"
    if problem:
        ctx.drop(loc, problem, NAME, file_name)
        return
    sha = (row.get("commit_id") or "").strip().lower()
    link = parse_commit_link(row.get("codeLink") or "")
    repo = link[0] if link else (row.get("project") or "unknown")
    if not sha:
        if link is None:
            raise ValueError("no commit_id and no codeLink")
        sha = link[1]
    key = (repo.lower(), sha)
    if key not in grouped:
        grouped[key] = CommitRecord(
            source=NAME,
            repo=repo,
            sha=sha,
            cve_ids=clean_cve_ids(row.get("CVE ID")),
            cwe_ids=clean_cwe_ids(row.get("CWE ID")),
            files=[],
            location=loc,
            reader=NAME,
            message=row.get("commit_message") or "",
        )
    grouped[key].files.append(FileChange(file_name or "unknown", before, after, language, "function", loc))
