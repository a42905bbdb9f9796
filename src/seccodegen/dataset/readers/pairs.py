"""``sven-pairs`` (alias ``safecoder-pairs``): function-level before/after pairs, JSONL.

SVEN (He & Vechev 2023) rows: ``func_name, func_src_before, func_src_after, line_changes,
char_changes, commit_link, file_name, vul_type``; SafeCoder adds ``description``, ``commit_msg``,
``parent_commit``. A path may be one file or a directory searched recursively. Rows of the same
commit (any file) are grouped into one commit record with one function-scoped change per row.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from seccodegen.dataset.changes import (
    CommitRecord,
    FileChange,
    clean_cve_ids,
    clean_cwe_ids,
    parse_commit_link,
)
from seccodegen.dataset.languages import language_of_path
from seccodegen.dataset.readers.base import READERS, ReaderContext, enrich_from_links
from seccodegen.dataset.readers.jsonl_lines import iter_numbered, jsonl_files

NAME = "sven-pairs"


def _extra(obj: dict) -> dict[str, str]:
    """Per-pair fields kept on the example: the function name and SafeCoder's instruction."""
    extra = {"function": str(obj.get("func_name") or "")}
    description = obj.get("description")
    if isinstance(description, str) and description.strip():
        extra["instruction"] = description.strip()
    return extra


def read_pairs(path: Path, ctx: ReaderContext) -> Iterator[CommitRecord]:
    grouped: dict[tuple[str, str], CommitRecord] = {}
    for file in jsonl_files(path, ctx, NAME):
        source = "safecoder" if "safecoder" in str(file).lower() else "sven"
        for loc, obj, error in iter_numbered(file):
            if obj is None:
                ctx.drop(loc, "corrupt row", source, error)
                continue
            problem = _type_problem(obj)
            if problem:
                ctx.drop(loc, "corrupt row", source, problem)
                continue
            before, after = obj.get("func_src_before"), obj.get("func_src_after")
            if not isinstance(before, str) or not isinstance(after, str):
                ctx.drop(loc, "not a fix pair (no func_src_before/func_src_after)", source)
                continue
            parsed = parse_commit_link(str(obj.get("commit_link") or ""))
            if parsed is None:
                ctx.drop(
                    loc, "corrupt row", source, f"commit_link {obj.get('commit_link')!r} is not a commit URL"
                )
                continue
            file_name = str(obj.get("file_name") or "")
            problem = ctx.file_problem(file_name, before, after)
            if problem:
                ctx.drop(loc, problem, source, file_name)
                continue
            change = FileChange(
                file_name,
                before,
                after,
                language_of_path(file_name) or "c",
                "function",
                loc,
                _extra(obj),
            )
            try:
                cwes = clean_cwe_ids(obj.get("vul_type") or file.stem.split(".")[0])
            except ValueError as exc:
                ctx.drop(loc, "corrupt row", source, str(exc))
                continue
            key = (parsed[0].lower(), parsed[1])
            if key not in grouped:
                grouped[key] = CommitRecord(
                    source=source,
                    repo=parsed[0],
                    sha=parsed[1],
                    cve_ids=clean_cve_ids(obj.get("commit_msg")),
                    cwe_ids=cwes,
                    files=[],
                    location=loc,
                    reader=NAME,
                    message=str(obj.get("commit_msg") or ""),
                )
            rec = grouped[key]
            rec.cwe_ids = clean_cwe_ids(rec.cwe_ids + cwes)
            if any(f.path == change.path and f.before == before and f.after == after for f in rec.files):
                ctx.drop(loc, "duplicate pair (same commit, file and text)", source, file_name)
                continue
            rec.files.append(change)
    for rec in grouped.values():
        enrich_from_links(rec, ctx)
        yield rec


def _type_problem(obj: dict) -> str | None:
    """Why a row's fields have the wrong JSON types (a number where text belongs, ...), or None."""
    for key in ("commit_link", "file_name", "func_name", "commit_msg"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            return f"{key!r} must be text, got {type(obj[key]).__name__}"
    vul = obj.get("vul_type")
    if vul is not None and not isinstance(vul, (str, list)):
        return f"'vul_type' must be text, got {type(vul).__name__}"
    return None


READERS.register(NAME, read_pairs)
READERS.register("safecoder-pairs", read_pairs)
