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
    """``git cat-file --batch``: one process per repository, blobs read by object id (never by
    path: a file name with a newline would desynchronise the batch protocol). A missing or
    corrupt object reads as None; git exits on a corrupt object, so the process is restarted."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self._start()

    def _start(self) -> None:
        self.proc = subprocess.Popen(
            ["git", "-C", str(self.repo), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def read(self, oid: str) -> bytes | None:
        assert self.proc.stdin and self.proc.stdout
        try:
            self.proc.stdin.write(f"{oid}\n".encode())
            self.proc.stdin.flush()
            header = self.proc.stdout.readline().split()
            if len(header) == 2 and header[1] == b"missing":
                return None
            if len(header) < 3 or header[1] != b"blob":
                raise BrokenPipeError("no blob header")
            size = int(header[2])
            data = self.proc.stdout.read(size)
            if len(data) != size or self.proc.stdout.read(1) != b"\n":
                raise BrokenPipeError("short blob")
            return data
        except (BrokenPipeError, ValueError):  # git died on a corrupt object: start a fresh one
            self.close()
            self._start()
            return None

    def close(self) -> None:
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@READERS.register(NAME)
def read_git(path: Path, ctx: ReaderContext) -> Iterator[CommitRecord]:
    for repo in find_repos(path):
        yield from _mine(repo, ctx)


def _mine(repo: Path, ctx: ReaderContext) -> Iterator[CommitRecord]:
    name = repo_name(repo)
    # -z: commits end in NUL; fields are NUL-separated too (a commit message cannot hold a NUL)
    fields = _git(repo, "log", "-z", "--all", "--format=%H%x00%P%x00%cI%x00%B").split("\x00")
    blobs = BlobReader(repo)
    try:
        for i in range(0, len(fields) - 3, 4):
            sha, parents, date, message = fields[i].strip(), fields[i + 1].split(), fields[i + 2], fields[i + 3]
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
            try:
                record.files = _changes(repo, parents[0], sha, loc, blobs, ctx)
            except InputError as exc:  # a corrupt tree: this commit only
                ctx.drop(loc, "unreadable git tree (corrupt or missing object)", NAME, str(exc))
                continue
            if record.files:
                yield record
    finally:
        blobs.close()


def _diff_entries(repo: Path, parent: str, sha: str) -> list[tuple[str, str, str, bytes]]:
    """``[(status, parent blob id, fix blob id, path bytes)]`` from ``git diff-tree --raw -z``."""
    out = subprocess.run(
        ["git", "-C", str(repo), "diff-tree", "-r", "--no-renames", "--raw", "-z", parent, sha],
        capture_output=True,
        check=False,
    )
    if out.returncode != 0:
        raise InputError(f"{repo}: git diff-tree failed: {out.stderr.decode('utf-8', 'replace').strip()[-200:]}")
    parts = out.stdout.split(b"\x00")
    entries = []
    for meta, path in zip(parts[0::2], parts[1::2]):
        fields = meta.decode("ascii", "replace").lstrip(":").split()
        if len(fields) == 5:
            entries.append((fields[4][:1], fields[2], fields[3], path))
    return entries


def _changes(
    repo: Path, parent: str, sha: str, loc: str, blobs: BlobReader, ctx: ReaderContext
) -> list[FileChange]:
    changes: list[FileChange] = []
    code_files = test_files = 0
    for status, old_oid, new_oid, raw_path in _diff_entries(repo, parent, sha):
        try:
            path = raw_path.decode("utf-8")
        except UnicodeDecodeError:
            shown = raw_path.decode("utf-8", "replace")
            if language_of_path(shown) is not None:
                ctx.drop(f"{loc}:{shown}", "file name is not UTF-8", NAME, shown)
            continue
        language = language_of_path(path)
        if language is None:
            continue  # docs, build files, other languages: not part of the code change
        code_files += 1
        floc = f"{loc}:{path}"
        texts: list[str | None] = []
        for oid, present in ((old_oid, status != "A"), (new_oid, status != "D")):
            data = blobs.read(oid) if present else None
            if present and data is None:
                ctx.drop(floc, "unreadable git blob (corrupt or missing object)", NAME, oid)
                break
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
