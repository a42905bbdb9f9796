"""The reader registry and what every reader gets: limits, link metadata and a drop log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from seccodegen.dataset.changes import CommitRecord, Dropped, clean_cve_ids, clean_cwe_ids, parse_commit_link
from seccodegen.dataset.languages import is_test_path, language_of_path
from seccodegen.errors import InputError
from seccodegen.inputs.csvfile import read_csv
from seccodegen.registry import Registry


@dataclass
class LinkInfo:
    cve_ids: list[str]
    cwe_ids: list[str]
    location: str


@dataclass
class ReaderContext:
    """Per-build settings handed to readers, and the list they append drops to."""

    max_file_bytes: int = 1_000_000
    links: dict[tuple[str, str], LinkInfo] = field(default_factory=dict)  # (repo, sha) -> CVE/CWE
    drops: list[Dropped] = field(default_factory=list)
    include_tests: bool = False
    _by_repo: dict[str, list[tuple[str, LinkInfo]]] = field(default_factory=dict, repr=False)

    def drop(self, location: str, reason: str, source: str = "", detail: str = "") -> None:
        self.drops.append(Dropped(location, reason, source, detail[:300]))

    def file_problem(self, path: str, text_before: str | None, text_after: str | None) -> str | None:
        """Why a changed file is skipped (unsupported language, test-only, binary, too large), or None."""
        if language_of_path(path) is None:
            return "not a C/C++/Java/Python file"
        if not self.include_tests and is_test_path(path):
            return "test-only file"
        return self.text_problem(text_before, text_after)

    def text_problem(self, text_before: str | None, text_after: str | None) -> str | None:
        """Why a before/after text pair is skipped (binary, too large), or None."""
        for text in (text_before, text_after):
            if text is None:
                continue
            if "\x00" in text:
                return "binary file (NUL byte)"
            if len(text.encode("utf-8", "surrogatepass")) > self.max_file_bytes:
                return f"file larger than max_file_bytes={self.max_file_bytes}"
        return None

    def link_for(self, repo: str, sha: str) -> LinkInfo | None:
        info = self.links.get((repo.lower(), sha.lower()))
        if info is not None or len(sha) < 7:
            return info
        # link lists sometimes hold abbreviated hashes: compare within the same repository only
        if len(self._by_repo) == 0 and self.links:
            for (r, s), value in self.links.items():
                self._by_repo.setdefault(r, []).append((s, value))
        short = sha.lower()
        for s, value in self._by_repo.get(repo.lower(), ()):
            if s.startswith(short) or short.startswith(s):
                return value
        return None


Reader = Callable[[Path, ReaderContext], Iterator[CommitRecord]]
READERS: Registry[Reader] = Registry("dataset reader")


def read_link_csv(path: str | Path, drops: list[Dropped] | None = None) -> dict[tuple[str, str], LinkInfo]:
    """BigVul-style link list (``codeLink``, ``CVE ID``, ``CWE ID``) -> {(repo, sha): LinkInfo}.

    A row that cannot be used (wrong cell count, broken quotes, a ``codeLink`` that is not a
    commit URL, malformed ids) is appended to ``drops`` with its line, or raises without ``drops``."""
    p = Path(path)
    table = read_csv(p, "a link CSV", lenient=drops is not None)
    cols = {c.lower(): c for c in table.columns}
    link_col = cols.get("codelink") or cols.get("commit_url") or cols.get("url")
    if link_col is None:
        raise InputError(f"{p}: no codeLink/commit_url column; give a BigVul-style link CSV")
    cve_col = cols.get("cve id") or cols.get("cve_id")
    cwe_col = cols.get("cwe id") or cols.get("cwe_id")

    def bad(line: int, reason: str, detail: str) -> None:
        if drops is None:
            raise InputError(f"{p}:{line}: {reason} ({detail})")
        drops.append(Dropped(f"{p}:{line}", reason, "links", detail[:300]))

    for line, why in table.errors:
        bad(line, "corrupt link row", why)
    out: dict[tuple[str, str], LinkInfo] = {}
    for row in table.rows:
        link = row.cells[link_col]
        parsed = parse_commit_link(link)
        if parsed is None:
            if link.strip():
                bad(row.line, "link is not a GitHub/GitLab/Bitbucket commit URL", link)
            continue  # an empty codeLink: BigVul rows without a link
        key = (parsed[0].lower(), parsed[1].lower())
        try:
            cves = clean_cve_ids(row.cells[cve_col] if cve_col else "")
            cwes = clean_cwe_ids(row.cells[cwe_col] if cwe_col else "")
        except ValueError as exc:
            bad(row.line, "corrupt link row", str(exc))
            continue
        if key in out:
            out[key].cve_ids = sorted(set(out[key].cve_ids) | set(cves))
            out[key].cwe_ids = clean_cwe_ids(out[key].cwe_ids + cwes)
        else:
            out[key] = LinkInfo(cves, cwes, f"{p}:{row.line}")
    return out


def enrich_from_links(record: CommitRecord, ctx: ReaderContext) -> None:
    """Fill in CVE/CWE ids a source lacks from the link list (never removes ids)."""
    info = ctx.link_for(record.repo, record.sha)
    if info is None:
        return
    record.cve_ids = sorted(set(record.cve_ids) | set(info.cve_ids))
    record.cwe_ids = clean_cwe_ids(record.cwe_ids + info.cwe_ids)
