"""``debian-patches``: Debian source packages' CVE patches (``debian/patches/*CVE-*.patch``).

The path is one unpacked source package (``<pkg>_<version>/`` with ``debian/patches/series``) or
a folder of them. A patch is a fix when its name cites a CVE. If the upstream source is unpacked
beside ``debian/``, the ``series`` is applied in order and each CVE patch yields whole before/after
files (scope ``file``). Without the source, each hunk yields its pre-/post-fix lines with their
context (scope ``hunk``): the function/block/line granularities are cut from those, not the file one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from seccodegen.dataset.changes import CommitRecord, FileChange, clean_cve_ids
from seccodegen.dataset.languages import language_of_path
from seccodegen.dataset.readers.base import READERS, ReaderContext
from seccodegen.dataset.unified_diff import (
    FileDiff,
    PatchDoesNotApply,
    apply_file_diff,
    parse_unified_diff,
    strip_components,
)
from seccodegen.errors import InputError
from seccodegen.inputs import check_file, read_text

NAME = "debian-patches"


def package_dirs(path: Path) -> list[Path]:
    if (path / "debian" / "patches").is_dir():
        return [path]
    if not path.is_dir():
        raise InputError(
            f"{path} is not a directory; give an unpacked Debian source package or a folder of them"
        )
    found = sorted(p for p in path.iterdir() if (p / "debian" / "patches").is_dir())
    if not found:
        raise InputError(f"{path} holds no <package>/debian/patches/ folder")
    return found


def series(patches: Path, ctx: ReaderContext | None = None) -> list[str]:
    """Patch names in apply order. With a ``series`` file (options like ``-p1`` ignored), only the
    patches it lists, as quilt does: a listed patch that is missing and an unlisted CVE patch are
    dropped with that reason. Without one, every ``*.patch``/``*.diff`` in name order."""
    listed: list[str] = []
    files = sorted(
        str(p.relative_to(patches)) for p in patches.rglob("*") if p.name != "series" and not p.is_dir()
    )
    files = [f for f in files if f.endswith((".patch", ".diff"))]
    if not os.path.lexists(patches / "series"):
        return files
    for line in read_text(patches / "series", "a quilt series file").splitlines():
        name = line.split("#")[0].strip().split(" ")[0] if line.strip() else ""
        if not name:
            continue
        try:
            check_file(patches / name, "a patch file")
            listed.append(name)
        except InputError as exc:
            if ctx is not None:
                ctx.drop(str(patches / name), "patch listed in series is missing", "debian", str(exc))
    for name in files:
        if name not in listed and clean_cve_ids(name) and ctx is not None:
            ctx.drop(str(patches / name), "patch not listed in series (quilt does not apply it)", "debian", name)
    return listed


@READERS.register(NAME)
def read_debian(path: Path, ctx: ReaderContext) -> Iterator[CommitRecord]:
    for pkg in package_dirs(path):
        yield from _package(pkg, ctx)


def _package(pkg: Path, ctx: ReaderContext) -> Iterator[CommitRecord]:
    package = pkg.name.split("_")[0]
    patches = pkg / "debian" / "patches"
    has_source = any(p.name != "debian" for p in pkg.iterdir())
    tree: dict[str, str | None] = {}  # path -> current text while applying the series
    for name in series(patches, ctx):
        loc = str(patches / name)
        try:
            text = read_text(patches / name, "a patch file")
        except InputError as exc:
            ctx.drop(loc, "unreadable patch (not UTF-8 or not a file)", "debian", str(exc))
            continue
        diffs = parse_unified_diff(text)
        cves = clean_cve_ids(name)
        if has_source:
            changes = _apply(pkg, diffs, tree, loc, ctx, record=bool(cves))
        else:
            changes = _hunks(diffs, loc, ctx) if cves else []
        if not cves:
            continue  # a non-CVE patch is applied (to keep later patches in line) but not a fix example
        if not changes:
            ctx.drop(loc, "no usable changed file in patch", "debian", name)
            continue
        yield CommitRecord(
            "debian", package, f"{pkg.name}/{name}", cves, [], changes, loc, NAME, message=name
        )


def _resolve(pkg: Path, diff: FileDiff) -> str | None:
    """Path relative to the package root, trying -p1 then -p0/-p2 (quilt patches vary)."""
    raw = diff.new_path or diff.old_path or ""
    for n in (1, 0, 2):
        rel = strip_components(raw, n)
        if (pkg / rel).is_file() or diff.old_path is None:
            return rel
    return None


def _apply(
    pkg: Path, diffs: list[FileDiff], tree: dict[str, str | None], loc: str, ctx: ReaderContext, record: bool
) -> list[FileChange]:
    changes = []
    for diff in diffs:
        if diff.problem:  # a partial hunk would be applied partially: never guess
            ctx.drop(f"{loc}:{diff.path}", "malformed hunk", "debian", diff.problem)
            continue
        rel = _resolve(pkg, diff)
        if rel is None:
            if record:
                ctx.drop(
                    f"{loc}:{diff.path}", "patch names a file missing from the source", "debian", diff.path
                )
            continue
        if rel not in tree:
            f = pkg / rel
            try:
                tree[rel] = f.read_bytes().decode("utf-8") if f.is_file() else None
            except UnicodeDecodeError:
                ctx.drop(f"{pkg / rel}", "unknown encoding (not UTF-8)", "debian", rel)
                continue
        before = tree[rel]
        try:
            after = None if diff.new_path is None else apply_file_diff(before or "", diff)
        except PatchDoesNotApply as exc:
            if record:
                ctx.drop(f"{loc}:{rel}", "patch does not apply", "debian", str(exc))
            continue
        tree[rel] = after
        if not record or language_of_path(rel) is None:
            continue
        problem = ctx.file_problem(rel, before, after)
        if problem:
            ctx.drop(f"{loc}:{rel}", problem, "debian", rel)
            continue
        changes.append(FileChange(rel, before, after, language_of_path(rel) or "c", "file", f"{loc}:{rel}"))
    return changes


def _hunks(diffs: list[FileDiff], loc: str, ctx: ReaderContext) -> list[FileChange]:
    changes = []
    for diff in diffs:
        rel = strip_components(diff.path, 1)
        if language_of_path(rel) is None:
            continue  # docs, tests data, build files
        if diff.problem:
            ctx.drop(f"{loc}:{rel}", "malformed hunk", "debian", diff.problem)
            continue
        problem = ctx.file_problem(rel, None, None)
        if problem:
            ctx.drop(f"{loc}:{rel}", problem, "debian", rel)
            continue
        for hunk in diff.hunks:
            before = "\n".join(hunk.old_lines) + "\n"
            after = "\n".join(hunk.new_lines) + "\n"
            changes.append(
                FileChange(
                    rel,
                    before,
                    after,
                    language_of_path(rel) or "c",
                    "hunk",
                    f"{loc}:{rel}@@-{hunk.old_start}",
                    {"hunk_header": hunk.header},
                )
            )
    return changes
