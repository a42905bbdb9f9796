"""The common record every reader yields: a fix commit with its changed files, plus drop notes.

A ``FileChange`` holds the pre-fix (``before``) and post-fix (``after``) text of one changed file.
Some sources do not ship whole files: BigVul and SVEN/SafeCoder ship single functions, a Debian
patch without its upstream source ships diff hunks. Their ``scope`` says so (``function`` or
``hunk``) and the file granularity is not built from them (see docs/dataset.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from seccodegen.findings import normalise_cwe

Scope = Literal["file", "function", "hunk"]

CVE_RE = re.compile(r"CVE-\d{4}-\d{4,7}", re.IGNORECASE)


@dataclass
class FileChange:
    path: str
    before: str | None  # None: the fix added this file
    after: str | None  # None: the fix deleted this file
    language: str  # c | cpp | java | python
    scope: Scope = "file"
    location: str = ""  # where in the source this text came from (file:line, table row, ...)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. {"function": "name"}


@dataclass
class CommitRecord:
    """One vulnerability-fixing change from one source, with provenance."""

    source: str  # reader-specific source label, e.g. "cvefixes", "bigvul", "git-cve-mention"
    repo: str  # "owner/name" (or a package name for Debian)
    sha: str  # commit id; for Debian the patch file name
    cve_ids: list[str]
    cwe_ids: list[str]
    files: list[FileChange]
    location: str  # where the record came from, for error reports
    reader: str = ""  # registry name of the reader that produced it
    date: str | None = None
    message: str = ""
    also_in: list[str] = field(default_factory=list)  # other sources that had the same fix

    @property
    def key(self) -> tuple[str, str]:
        return (self.repo.lower(), self.sha.lower())

    @property
    def complete(self) -> bool:
        """True if every file change carries whole files (usable for the file granularity)."""
        return all(f.scope == "file" for f in self.files)


@dataclass(frozen=True)
class Dropped:
    """A row/file/commit that did not make it into the dataset, with where it was and why."""

    location: str
    reason: str
    source: str = ""
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "location": self.location,
            "reason": self.reason,
            "source": self.source,
            "detail": self.detail,
        }


def _id_values(values: Any, what: str, allow_int: bool) -> list[Any]:
    """``values`` as a list of str (and int) items; any other shape is a ValueError (a corrupt row)."""
    if isinstance(values, float) and values != values:  # NaN: how pandas writes a missing value
        return []
    scalar = (str, int) if allow_int else (str,)
    if isinstance(values, scalar) and not isinstance(values, bool):
        return [values]
    if isinstance(values, list) and all(isinstance(v, scalar) and not isinstance(v, bool) for v in values):
        return values
    raise ValueError(f"{what} must be text or a list of text, got {type(values).__name__} {values!r:.60}")


def clean_cve_ids(values: Any) -> list[str]:
    """Every ``CVE-YYYY-N`` found in a string or list of strings, upper-cased, sorted, unique.

    Any other type (a number, a mapping, ...) raises ValueError: the caller drops the row."""
    if values is None:
        return []
    values = _id_values(values, "CVE ids", allow_int=False)
    found: set[str] = set()
    for v in values:
        found.update(m.upper() for m in CVE_RE.findall(str(v)))
    return sorted(found)


def clean_cwe_ids(values: Any) -> list[str]:
    """``CWE-n`` ids from strings/ints/lists; NVD placeholders (``NVD-CWE-Other``, ``noinfo``) are skipped."""
    if values is None:
        return []
    values = _id_values(values, "CWE ids", allow_int=True)
    if len(values) == 1:
        values = re.split(r"[,;|\s]+", str(values[0]))
    out: set[str] = set()
    for v in values:
        s = str(v).strip()
        if not s or "NVD" in s.upper() or s.lower() in ("nan", "none", "null", "noinfo"):
            continue
        try:
            out.add(normalise_cwe(s))
        except ValueError:
            continue
    return sorted(out, key=lambda c: int(c.split("-")[1]))


GITHUB_COMMIT_RE = re.compile(
    r"(?:https?://)?(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org)/([^/\s]+)/([^/\s]+)/(?:-/)?commits?/([0-9a-fA-F]{7,40})"
)


def parse_commit_link(url: str) -> tuple[str, str] | None:
    """``https://github.com/owner/name/commit/<sha>`` -> ``("owner/name", "<sha>")``."""
    m = GITHUB_COMMIT_RE.search(url or "")
    if not m:
        return None
    name = m.group(2)
    name = name.removesuffix(".git")
    return f"{m.group(1)}/{name}", m.group(3).lower()


def repo_from_url(url: str) -> str:
    """``https://github.com/owner/name`` -> ``owner/name``; anything else is returned trimmed."""
    m = re.search(r"(?:github\.com|gitlab\.com|bitbucket\.org)/([^/\s]+)/([^/\s#?]+)", url or "")
    if not m:
        return re.sub(r"^[a-z+]+://", "", (url or "").strip()).rstrip("/").removesuffix(".git")
    name = m.group(2)
    return f"{m.group(1)}/{name.removesuffix('.git')}"
