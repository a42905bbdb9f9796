"""``vulnfix-jsonl``: one commit per line with whole before/after files (shared/data/vulnfix/commits.jsonl.gz).

``{"source", "repo", "sha", "parent", "cve_ids", "cwe_ids", "date", "message",
   "files": [{"path", "status": "M|A|D", "before": text|null, "after": text|null}]}``
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from seccodegen.dataset.changes import CommitRecord, FileChange, clean_cve_ids, clean_cwe_ids
from seccodegen.dataset.languages import language_of_path
from seccodegen.dataset.readers.base import READERS, ReaderContext, enrich_from_links
from seccodegen.dataset.readers.jsonl_lines import iter_numbered, jsonl_files

NAME = "vulnfix-jsonl"


@READERS.register(NAME)
def read_vulnfix_jsonl(path: Path, ctx: ReaderContext) -> Iterator[CommitRecord]:
    for file in jsonl_files(path, ctx, NAME):
        for loc, obj, error in iter_numbered(file):
            if obj is None:
                ctx.drop(loc, "corrupt row", NAME, error)
                continue
            try:
                record = _record(obj, loc, ctx)
            except ValueError as exc:  # a field of the wrong type (cve_ids: 5, ...)
                ctx.drop(loc, "corrupt row", NAME, str(exc))
                continue
            if record is not None:
                yield record


def _record(obj: dict, loc: str, ctx: ReaderContext) -> CommitRecord | None:
    repo, sha, files = obj.get("repo"), obj.get("sha"), obj.get("files")
    if not isinstance(repo, str) or not isinstance(sha, str) or not isinstance(files, list):
        ctx.drop(loc, "corrupt row", NAME, "missing repo/sha/files")
        return None
    for key in ("source", "date", "message"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise ValueError(f"{key!r} must be text, got {type(obj[key]).__name__}")
    source = str(obj.get("source") or NAME)
    changes = []
    for i, f in enumerate(files):
        floc = f"{loc} files[{i}]"
        if not isinstance(f, dict) or not isinstance(f.get("path"), str):
            ctx.drop(floc, "corrupt row", source, "file entry without a path")
            continue
        before, after = f.get("before"), f.get("after")
        if not all(t is None or isinstance(t, str) for t in (before, after)):
            ctx.drop(floc, "corrupt row", source, "before/after is not text")
            continue
        problem = ctx.file_problem(f["path"], before, after)
        if problem:
            ctx.drop(floc, problem, source, f["path"])
            continue
        changes.append(FileChange(f["path"], before, after, language_of_path(f["path"]) or "c", "file", floc))
    if not changes:
        ctx.drop(loc, "no usable changed file in commit", source, f"{repo}@{sha}")
        return None
    message = str(obj.get("message") or "")
    record = CommitRecord(
        source=source,
        repo=repo,
        sha=sha,
        cve_ids=clean_cve_ids(obj.get("cve_ids")) or clean_cve_ids(message),
        cwe_ids=clean_cwe_ids(obj.get("cwe_ids")),
        files=changes,
        location=loc,
        reader=NAME,
        date=obj.get("date"),
        message=message,
    )
    enrich_from_links(record, ctx)
    return record
