"""Line-level diff of a file's pre-fix and post-fix text: changed lines, hunks, line mapping.

Fixes touch a few lines of large files, so the common prefix and suffix are cut off before
``difflib`` runs on the middle part; this keeps a 10k-line file to milliseconds.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

# Non-equal diff regions closer than this many unchanged lines form one hunk (one fix site).
HUNK_GAP_LINES = 2


@dataclass
class Hunk:
    """One fix site. Line numbers are 1-based; ``after_lo..after_hi`` is inclusive and may be empty."""

    added: list[int] = field(default_factory=list)  # lines of the post-fix text added/changed here
    deleted: list[int] = field(default_factory=list)  # lines of the pre-fix text removed/changed here
    anchor: tuple[int, int] = (1, 1)  # post-fix lines that enclose the change (for pure deletions too)


@dataclass
class LineDiff:
    added: list[int]  # all added/changed post-fix lines (1-based)
    deleted: list[int]  # all removed/changed pre-fix lines (1-based)
    hunks: list[Hunk]
    opcodes: list[tuple[str, int, int, int, int]]  # difflib opcodes over (before, after), 0-based

    def before_span(self, after_lo: int, after_hi: int) -> tuple[int, int]:
        """Pre-fix 1-based inclusive line span that corresponds to the post-fix span ``after_lo..after_hi``."""
        return self._map_line(after_lo, start=True), self._map_line(after_hi, start=False)

    def _map_line(self, line: int, start: bool) -> int:
        a = line - 1
        for tag, i1, i2, j1, j2 in self.opcodes:
            if j1 <= a < j2 or (j1 == j2 == a):
                if tag == "equal":
                    return i1 + (a - j1) + 1
                # inside a changed region: the start maps to the region's start, the end to its end
                return (i1 + 1) if start else max(i1 + 1, i2)
        # past the end of the file
        last = self.opcodes[-1][2] if self.opcodes else 0
        return max(1, last)


def split_lines(text: str) -> list[str]:
    """Lines split on ``\\n`` only (as tree-sitter counts rows); a final newline adds no empty line."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def diff_lines(before: str | None, after: str | None) -> LineDiff:
    b = split_lines(before or "")
    a = split_lines(after or "")
    prefix = 0
    limit = min(len(a), len(b))
    while prefix < limit and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and a[len(a) - 1 - suffix] == b[len(b) - 1 - suffix]:
        suffix += 1
    mid = difflib.SequenceMatcher(
        None, b[prefix : len(b) - suffix], a[prefix : len(a) - suffix], autojunk=False
    )
    opcodes: list[tuple[str, int, int, int, int]] = []
    if prefix:
        opcodes.append(("equal", 0, prefix, 0, prefix))
    for tag, i1, i2, j1, j2 in mid.get_opcodes():
        opcodes.append((tag, i1 + prefix, i2 + prefix, j1 + prefix, j2 + prefix))
    if suffix:
        opcodes.append(("equal", len(b) - suffix, len(b), len(a) - suffix, len(a)))
    added: list[int] = []
    deleted: list[int] = []
    hunks: list[Hunk] = []
    last_after_end = -(10**9)
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            continue
        if not hunks or j1 - last_after_end > HUNK_GAP_LINES:
            hunks.append(Hunk())
        hunk = hunks[-1]
        new_added = list(range(j1 + 1, j2 + 1))
        hunk.added += new_added
        hunk.deleted += list(range(i1 + 1, i2 + 1))
        added += new_added
        deleted += list(range(i1 + 1, i2 + 1))
        last_after_end = j2
    for hunk in hunks:
        hunk.anchor = _anchor(hunk, opcodes, len(a))
    return LineDiff(added=added, deleted=deleted, hunks=hunks, opcodes=opcodes)


def _anchor(hunk: Hunk, opcodes: list[tuple[str, int, int, int, int]], n_after: int) -> tuple[int, int]:
    if hunk.added:
        return hunk.added[0], hunk.added[-1]
    # a pure deletion: enclose it by the post-fix lines just before and after the gap
    first_deleted = hunk.deleted[0] - 1
    for tag, i1, i2, j1, _ in opcodes:
        if tag != "equal" and i1 <= first_deleted < i2:
            lo = max(1, j1)
            return lo, min(max(n_after, 1), j1 + 1)
    return 1, 1
