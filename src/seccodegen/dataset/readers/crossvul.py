"""``crossvul``: the CrossVul directory layout (Nikitopoulos et al., FSE 2021).

``ROOT/CWE-<n>/<lang>/bad_<commit>_<file>`` (the vulnerable file) and ``good_<commit>_<file>``
(the same file after the fix), no file extensions; ``<lang>`` is ``c``, ``cpp``, ``java``, ``py``
(others are dropped as unsupported). Commit metadata is read when ``ROOT`` holds a
``commits.json`` / ``metadata.json``: a list (or JSONL) of objects with ``commit_id`` (or ``id``)
matching ``<commit>``, a commit ``url``/``commit_url`` and ``cve``/``cve_id``. Without it the
commit is identified as ``crossvul/<commit>``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from seccodegen.dataset.changes import (
    CommitRecord,
    FileChange,
    clean_cve_ids,
    clean_cwe_ids,
    parse_commit_link,
)
from seccodegen.dataset.languages import language_from_name
from seccodegen.dataset.readers.base import READERS, ReaderContext, enrich_from_links
from seccodegen.errors import InputError
from seccodegen.inputs import parse_json, read_bytes, read_text
from seccodegen.inputs.files import utf8_problem
from seccodegen.inputs.structured import ParseError

NAME = "crossvul"
PAIR_RE = re.compile(r"^(bad|good)_(\w+?)_(\d+)$")
EXT = {"c": ".c", "cpp": ".cpp", "java": ".java", "python": ".py"}


def _metadata(root: Path, ctx: ReaderContext) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name in ("commits.json", "metadata.json", "commits.jsonl"):
        p = root / name
        if not os.path.lexists(p):
            continue
        text = read_text(p, "a CrossVul metadata file")  # a FIFO or non-UTF-8 file is one clear error
        try:
            data = parse_json(text)
            items = list(data.values()) if isinstance(data, dict) else data if isinstance(data, list) else [data]
        except ParseError:
            items = []
            for i, line in enumerate(text.splitlines(), 1):
                try:
                    items.append(parse_json(line)) if line.strip() else None
                except ParseError as exc:
                    ctx.drop(f"{p}:{i}", "corrupt row", NAME, str(exc))
        for item in items:
            if isinstance(item, dict):
                key = str(item.get("commit_id", item.get("id", "")))
                if key:
                    out[key] = item
    return out


def _read_text(path: Path, ctx: ReaderContext) -> str | None:
    try:
        data = read_bytes(path, "a CrossVul source file")  # refuses directories, FIFOs, link loops
    except InputError as exc:
        ctx.drop(str(path), "not a readable file", NAME, str(exc))
        return None
    problem = utf8_problem(data)
    if problem:
        ctx.drop(str(path), "unknown encoding (not UTF-8)", NAME, problem)
        return None
    return data.decode("utf-8")


@READERS.register(NAME)
def read_crossvul(path: Path, ctx: ReaderContext) -> Iterator[CommitRecord]:
    if not path.is_dir():
        raise InputError(f"{path} is not a directory; give the CrossVul root (with CWE-*/ folders)")
    meta = _metadata(path, ctx)
    commits: dict[str, CommitRecord] = {}
    for cwe_dir in sorted(p for p in path.iterdir() if p.is_dir() and p.name.upper().startswith("CWE")):
        cwes = clean_cwe_ids(cwe_dir.name)
        for lang_dir in sorted(p for p in cwe_dir.iterdir() if p.is_dir()):
            language = language_from_name(lang_dir.name)
            for good in sorted(lang_dir.glob("good_*")):  # a fixed file whose vulnerable one is gone
                if not os.path.lexists(good.with_name("bad_" + good.name[len("good_") :])):
                    ctx.drop(str(good), "corrupt row", NAME, f"no matching bad_{good.name[len('good_'):]}")
            for bad in sorted(lang_dir.glob("bad_*")):
                m = PAIR_RE.match(bad.name)
                if not m:
                    ctx.drop(str(bad), "corrupt row", NAME, "file name is not bad_<commit>_<n>")
                    continue
                if language is None:
                    ctx.drop(str(bad), "not a C/C++/Java/Python file", NAME, lang_dir.name)
                    continue
                good = bad.with_name(f"good_{m.group(2)}_{m.group(3)}")
                if not os.path.lexists(good):
                    ctx.drop(str(bad), "corrupt row", NAME, f"no matching {good.name}")
                    continue
                before, after = _read_text(bad, ctx), _read_text(good, ctx)
                if before is None or after is None:
                    continue
                problem = ctx.text_problem(before, after)
                if problem:
                    ctx.drop(str(bad), problem, NAME)
                    continue
                try:
                    rec = commits.get(m.group(2)) or _commit(m.group(2), meta.get(m.group(2), {}), cwes, str(bad))
                except ValueError as exc:  # metadata field of the wrong type
                    ctx.drop(str(bad), "corrupt row", NAME, f"metadata of commit {m.group(2)}: {exc}")
                    continue
                commits[m.group(2)] = rec
                rec.cwe_ids = clean_cwe_ids(rec.cwe_ids + cwes)
                rel = f"{cwe_dir.name}/{lang_dir.name}/{good.name}{EXT[language]}"
                rec.files.append(FileChange(rel, before, after, language, "file", str(good)))
    for rec in commits.values():
        enrich_from_links(rec, ctx)
        yield rec


def _commit(commit_id: str, meta: dict, cwes: list[str], loc: str) -> CommitRecord:
    parsed = parse_commit_link(str(meta.get("commit_url") or meta.get("url") or ""))
    repo, sha = parsed if parsed else ("crossvul", commit_id)
    cves = clean_cve_ids(meta.get("cve") or meta.get("cve_id") or meta.get("cve_ids"))
    return CommitRecord(NAME, repo, sha, cves, list(cwes), [], loc, NAME, message=str(meta.get("msg") or ""))
