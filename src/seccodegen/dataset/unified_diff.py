"""Parse unified diffs (quilt / git format-patch) and apply them to in-memory files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")


@dataclass
class DiffHunk:
    old_start: int
    new_start: int
    lines: list[str] = field(default_factory=list)  # each starts with " ", "-" or "+"
    header: str = ""  # text after the second @@ (often the enclosing function)
    problem: str = ""  # set when the body does not hold the line counts its @@ header promises

    @property
    def old_lines(self) -> list[str]:
        return [ln[1:] for ln in self.lines if ln[:1] in (" ", "-")]

    @property
    def new_lines(self) -> list[str]:
        return [ln[1:] for ln in self.lines if ln[:1] in (" ", "+")]


@dataclass
class FileDiff:
    old_path: str | None  # None for /dev/null (file added)
    new_path: str | None  # None for /dev/null (file deleted)
    hunks: list[DiffHunk] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""

    @property
    def problem(self) -> str:
        """Why this file's hunks cannot be trusted, or ""."""
        return next((h.problem for h in self.hunks if h.problem), "")


def _clean_path(raw: str) -> str | None:
    path = raw.split("\t")[0].strip()
    return None if path == "/dev/null" else path


def strip_components(path: str, n: int) -> str:
    parts = path.split("/")
    return "/".join(parts[n:]) if len(parts) > n else parts[-1]


def parse_unified_diff(text: str) -> list[FileDiff]:
    """Every file section of a patch; mail headers and diffstat before the first ``---`` are skipped."""
    files: list[FileDiff] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            files.append(FileDiff(_clean_path(line[4:]), _clean_path(lines[i + 1][4:])))
            i += 2
            continue
        m = HUNK_RE.match(line)
        if m and files:
            old_len = int(m.group(2)) if m.group(2) is not None else 1
            new_len = int(m.group(4)) if m.group(4) is not None else 1
            hunk = DiffHunk(int(m.group(1)), int(m.group(3)), header=m.group(5).strip())
            i += 1
            seen_old = seen_new = 0
            while i < len(lines) and (seen_old < old_len or seen_new < new_len):
                body = lines[i]
                tag = body[:1]
                if tag == "\\":  # "\ No newline at end of file"
                    i += 1
                    continue
                if body.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
                    break  # the next file's header: this hunk is short of the lines its header promised
                if tag not in (" ", "-", "+"):
                    if body == "":  # some tools drop the space of an empty context line
                        body, tag = " ", " "
                    else:
                        break
                hunk.lines.append(body)
                seen_old += tag in (" ", "-")
                seen_new += tag in (" ", "+")
                i += 1
            extra = (
                i < len(lines)
                and lines[i][:1] in ("-", "+")
                and not (lines[i].startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "))
            )
            if extra or seen_old != old_len or seen_new != new_len:
                hunk.problem = (
                    f"hunk @@ -{hunk.old_start} promises {old_len}/{new_len} old/new lines, "
                    f"holds {seen_old}/{seen_new}{' and more' if extra else ''} (truncated or hand-edited patch)"
                )
            files[-1].hunks.append(hunk)
            continue
        i += 1
    return files


class PatchDoesNotApply(ValueError):
    pass


def apply_file_diff(original: str, diff: FileDiff, fuzz_lines: int = 400) -> str:
    """Apply one file's hunks to ``original``; each hunk is searched within ``fuzz_lines`` of its line."""
    lines = original.split("\n")
    offset = 0
    for hunk in diff.hunks:
        old = hunk.old_lines
        want = max(0, hunk.old_start - 1 + offset) if old else hunk.old_start + offset
        pos = _find(lines, old, want, fuzz_lines)
        if pos is None:
            raise PatchDoesNotApply(f"hunk @@ -{hunk.old_start} does not match the file")
        lines[pos : pos + len(old)] = hunk.new_lines
        offset += len(hunk.new_lines) - len(old)
    return "\n".join(lines)


def _find(lines: list[str], block: list[str], want: int, fuzz: int) -> int | None:
    if not block:
        return min(max(want, 0), len(lines))
    for delta in range(fuzz + 1):
        for pos in (want - delta, want + delta) if delta else (want,):
            if 0 <= pos <= len(lines) - len(block) and lines[pos : pos + len(block)] == block:
                return pos
    return None
