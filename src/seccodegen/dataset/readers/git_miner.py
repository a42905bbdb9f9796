"""``git``: mine local git repositories for vulnerability-fixing commits.

A commit is taken when its message cites ``CVE-YYYY-NNNN`` or when the link list (``--links``,
e.g. BigVul's ``all_linkNotNull.csv``) names it; CWE ids come from the link list. The path is
one repository or a directory of repositories. Each changed C/C++/Java/Python file gives its
before (first parent) and after text; test-only files, binaries and files over
``max_file_bytes`` are dropped, and a commit whose code changes are all test-only is dropped.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

from seccodegen.dataset.changes import CommitRecord, FileChange, clean_cve_ids, repo_from_url
from seccodegen.dataset.languages import language_of_path
from seccodegen.dataset.readers.base import READERS, ReaderContext, enrich_from_links
from seccodegen.errors import InputError

NAME = "git"


def _git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
    )
    if out.returncode != 0:
        raise InputError(f"{repo}: git {args[0]} failed: {out.stderr.strip().splitlines()[-1:]}")
    return out.stdout


def find_repos(path: Path) -> list[Path]:
    if not path.is_dir():
        raise InputError(f"{path} is not a directory; give a git repository or a folder of them")
    if (path / ".git").exists() or (path / "HEAD").is_file() and (path / "objects").is_dir():
        return [path]
    repos = sorted(
        p for p in path.iterdir() if p.is_dir() and ((p / ".git").exists() or (p / "HEAD").is_file())
    )
    if not repos:
        raise InputError(f"{path} holds no git repository")
    return repos


def list_refs(repo: Path) -> dict[str, str]:
    """{ref name: sha} of a repository (what was mined, for the manifest)."""
    out = _git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def repo_name(repo: Path) -> str:
    try:
        url = _git(repo, "config", "--get", "remote.origin.url").strip()
    except InputError:
        url = ""
    return repo_from_url(url) if url else repo.name


class BlobReader:
    """``git cat-file --batch``: one process per repository, blobs read by ``rev:path``."""

    def __init__(self, repo: Path) -> None:
        self.proc = subprocess.Popen(
            ["git", "-C", str(repo), "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )

    def read(self, rev: str, path: str) -> bytes | None:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(f"{rev}:{path}\n".encode())
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().split()
        if len(header) < 3 or header[1] != b"blob":
            return None
        data = self.proc.stdout.read(int(header[2]))
        self.proc.stdout.read(1)  # the newline after the content
        return data

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


@READERS.register(NAME)
def read_git(path: Path, ctx: ReaderContext) -> Iterator[CommitRecord]:
    for repo in find_repos(path):
        yield from _mine(repo, ctx)


def _mine(repo: Path, ctx: ReaderContext) -> Iterator[CommitRecord]:
    name = repo_name(repo)
    log = _git(repo, "log", "--all", "--format=%H%x1f%P%x1f%cI%x1f%B%x1e")
    blobs = BlobReader(repo)
    try:
        for entry in log.split("\x1e"):
            parts = entry.strip("\n").split("\x1f")
            if len(parts) < 4:
                continue
            sha, parents, date, message = parts[0].strip(), parts[1].split(), parts[2], parts[3]
            cves = clean_cve_ids(message)
            linked = ctx.link_for(name, sha) is not None
            if not cves and not linked:
                continue
            loc = f"{repo}@{sha[:12]}"
            if not parents:
                ctx.drop(loc, "root commit (no parent to diff against)", NAME)
                continue
            record = CommitRecord(
                "git-cve-mention" if cves else "git-link", name, sha, cves, [], [], loc, NAME, date, message
            )
            enrich_from_links(record, ctx)
            record.files = _changes(repo, parents[0], sha, loc, blobs, ctx)
            if record.files:
                yield record
    finally:
        blobs.close()


def _changes(
    repo: Path, parent: str, sha: str, loc: str, blobs: BlobReader, ctx: ReaderContext
) -> list[FileChange]:
    raw = _git(repo, "diff-tree", "-r", "--no-renames", "--name-status", "-z", parent, sha)
    fields = [f for f in raw.split("\x00") if f]
    changes: list[FileChange] = []
    code_files = test_files = 0
    for status, path in zip(fields[0::2], fields[1::2]):
        language = language_of_path(path)
        if language is None:
            continue  # docs, build files, other languages: not part of the code change
        code_files += 1
        floc = f"{loc}:{path}"
        texts: list[str | None] = []
        for rev, present in ((parent, status != "A"), (sha, status != "D")):
            data = blobs.read(rev, path) if present else None
            if data is None:
                texts.append(None)
                continue
            try:
                texts.append(data.decode("utf-8"))
            except UnicodeDecodeError:
                texts.append("\x00" if b"\x00" in data else None)
                if b"\x00" not in data:
                    ctx.drop(floc, "unknown encoding (not UTF-8)", NAME, path)
                    break
        else:
            problem = ctx.file_problem(path, texts[0], texts[1])
            if problem == "test-only file":
                test_files += 1
            if problem:
                ctx.drop(floc, problem, NAME, path)
                continue
            changes.append(FileChange(path, texts[0], texts[1], language, "file", floc))
    if code_files and test_files == code_files:
        ctx.drop(loc, "test-only change (every code file is under a test directory)", NAME)
    elif not changes:
        ctx.drop(loc, "no usable changed file in commit", NAME)
    return changes
