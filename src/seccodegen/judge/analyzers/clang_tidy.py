"""clang-tidy (PyPI build, clang 23): the clang static analyzer with taint checks, one process per batch.

Pitfalls handled here: ``clang-analyzer-*`` would switch on every alpha checker, so alpha is
excluded and the useful ones added back (which needs ``--allow-enabling-analyzer-alpha-checkers``);
argv/getenv/fgets/scanf/recv are taint sources in clang >= 20, so ``optin.taint.GenericTaint``
sees command, format-string and index injection without a config file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from seccodegen.findings import Finding
from seccodegen.judge.analyzers.base import (
    ANALYZERS,
    AnalyzerCrash,
    files_hash,
    resolve,
    run_tool,
    tool_version,
    which,
)
from seccodegen.judge.cwe_map import map_rule

CHECKS = ",".join([
    "-*",
    "clang-analyzer-*",
    "-clang-analyzer-alpha.*",
    "-clang-analyzer-osx.*",
    "-clang-analyzer-optin.performance.*",
    "-clang-analyzer-optin.mpi.*",
    "-clang-analyzer-optin.osx.*",
    "-clang-analyzer-deadcode.*",
    "clang-analyzer-alpha.security.*",
    "clang-analyzer-alpha.unix.cstring.*",
    "clang-analyzer-optin.taint.*",
    "bugprone-not-null-terminated-result",
    "bugprone-command-processor",
    "cert-err34-c",
])  # fmt: skip
STD = {"c": "-std=gnu11", "cpp": "-std=gnu++17"}
# C++: the analyzer's default (deep) mode inlines libstdc++ and costs ~1.9 CPU s per small
# program here; shallow mode ~0.35 s. It found few C++ defects either way (docs/judge.md).
MODE = {"c": (), "cpp": ("-Xclang", "-analyzer-config", "-Xclang", "mode=shallow")}
LANG = {"c": "c", "cpp": "c++"}
DIAG_RE = re.compile(
    r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>warning|error): (?P<msg>.*) \[(?P<rules>[^\]]+)\]$"
)
# clang names the array it knows ('name'); for a pointer's target it says "the region" or "the heap area"
TAINTED_INDEX_RE = re.compile(r"out of bound access to (?:'(\w+)'|the [\w ]+?) with tainted index")


# one operand of an index difference: a name, a member, or a call of either (strlen(s), s.size())
_OPERAND = r"[A-Za-z_]\w*(?:\s*(?:\.|->)\s*[A-Za-z_]\w*)*(?:\s*\([^()]*\))?"
DIFFERENCE_RE = re.compile(rf"\s*{_OPERAND}\s*-\s*{_OPERAND}\s*")
SUBSCRIPT_RE = re.compile(r"[A-Za-z_]\w*(?:\s*(?:\.|->)\s*[A-Za-z_]\w*)*\s*\[")


def _subscript(message: str, source_line: str, column: int) -> tuple[str, str] | None:
    """(array, index text) of the tainted-index report ``message`` on ``source_line``: the access
    at ``column`` (1-based), or without one, the first access of the array the message names."""
    m = TAINTED_INDEX_RE.search(message)
    if not m:
        return None
    at = SUBSCRIPT_RE.match(source_line, max(column - 1, 0)) if column else None
    for sub in [at] if at else SUBSCRIPT_RE.finditer(source_line):
        base = sub.group(0)[:-1].strip()
        if at is None and base != m.group(1):
            continue
        depth = 1
        for i in range(sub.end(), len(source_line)):
            depth += {"[": 1, "]": -1}.get(source_line[i], 0)
            if depth == 0:
                return base, source_line[sub.end() : i]
    return None


def own_length_index(message: str, source_line: str, column: int = 0) -> bool:
    """A tainted-index report on ``buf[strcspn(buf, "...")]`` or ``buf[strlen(buf)]``: the index is
    the length of the string in ``buf`` itself, at most its terminating NUL, so the access stays
    inside the array (``name[strcspn(name, "\n")] = 0`` after ``fgets(name, sizeof name, stdin)``),
    or inside the string a pointer points to (``phone[strcspn(phone, "\n")]``, which clang
    reports as an access to "the region"). The analyzer sees only that the index derives from
    input; ``buf[strlen(buf) - 1]`` is not excused (it reads before the array when the string is
    empty)."""
    found = _subscript(message, source_line, column)
    if found is None:
        return False
    b = re.escape(found[0])
    own_length = rf"\s*(?:strcspn\s*\(\s*{b}\s*,[^()\]]*|strlen\s*\(\s*{b}\s*)\)\s*"
    return re.fullmatch(own_length, found[1]) is not None


def allocated_past_index(message: str, source_line: str, column: int, lines: list[str]) -> bool:
    """A tainted-index report on ``p[n]`` where the file (``lines``, joined only for such a report)
    allocates ``p`` with ``n`` plus a constant (``char *msg = malloc((size_t)len + 1); ...
    msg[len] = '\0';``): the block has room past the index, a relation between two symbols the
    analyzer's solver does not keep."""
    found = _subscript(message, source_line, column)
    if found is None or not re.fullmatch(r"\s*[A-Za-z_]\w*\s*", found[1]):
        return False
    p, n = re.escape(found[0]), re.escape(found[1].strip())
    sized = rf"\b{p}\s*=\s*(?:\([^()]*\)\s*)?(?:malloc|calloc)\s*\(\s*(?:\(\s*size_t\s*\)\s*)?{n}\s*\+\s*[1-9]\d*\s*[,)]"
    return re.search(sized, "\n".join(lines)) is not None


def difference_index(message: str, source_line: str, column: int) -> bool:
    """A tainted-index report on ``s[a - b]`` (``&s[len - n]``, ``t[strlen(t) - n]``), the access
    starting at ``column`` (1-based). The analyzer's constraint solver does not relate two symbols,
    so after ``if (n > len) return s;`` it still sees ``len - n`` wrap; the dataflow core's
    ``out-of-bounds`` query reads which way the comparison goes and decides these accesses."""
    found = _subscript(message, source_line, column) if column else None
    return found is not None and DIFFERENCE_RE.fullmatch(found[1]) is not None


@ANALYZERS.register("clang-tidy")
class ClangTidy:
    name = "clang-tidy"
    languages = ("c", "cpp")
    batch_size = 20

    def version(self) -> str:
        # this file's hash: its filter of the reports (own_length_index) and the note it adds to
        # messages (difference_index) change what a run returns
        tool = tool_version(("clang-tidy", "--version"))
        return f"{tool} {CHECKS} cpp:shallow {files_hash([Path(__file__)])}"

    def available(self) -> bool:
        return which("clang-tidy") is not None

    def run(
        self, files: list[Path], language: str, timeout: float, flags: Sequence[str] = ()
    ) -> dict[Path, list[Finding]]:
        by_name = resolve(files)
        argv = [
            "clang-tidy", "--quiet", "--allow-enabling-analyzer-alpha-checkers", f"--checks={CHECKS}",
            *[str(f.resolve()) for f in files], "--", "-x", LANG[language], STD[language], *MODE[language], *flags,
        ]  # fmt: skip
        proc = run_tool(argv, timeout)
        out: dict[Path, list[Finding]] = {}
        lines: dict[Path, list[str]] = {}  # each reported file's lines, read once
        for line in proc.stdout.splitlines():
            m = DIAG_RE.match(line)
            if not m or m.group("sev") != "warning":
                continue  # compile errors are validity's business
            path = by_name.get(m.group("file"))
            if path is None:
                continue
            source_line = _line(path, int(m.group("line")), lines)
            column = int(m.group("col"))
            if own_length_index(m.group("msg"), source_line, column) or allocated_past_index(
                m.group("msg"), source_line, column, lines[path]
            ):
                continue
            message = m.group("msg")
            if difference_index(message, source_line, column):
                message += "; the index is a difference of two values"
            for rule in m.group("rules").split(","):
                if rule.startswith("-W"):
                    continue  # a compiler warning echoed by clang
                out.setdefault(path, []).append(
                    Finding(
                        tool=self.name,
                        rule=rule,
                        message=message,
                        line=int(m.group("line")),
                        column=int(m.group("col")),
                        file=str(path),
                        cwe_ids=map_rule(self.name, rule, message),
                    )
                )
        if proc.returncode not in (0, 1) and not out:
            raise AnalyzerCrash(f"clang-tidy exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
        return out


def _line(path: Path, number: int, cache: dict[Path, list[str]]) -> str:
    """Line ``number`` (1-based) of ``path``, "" past its end."""
    if path not in cache:
        cache[path] = path.read_text(encoding="utf-8", errors="replace").splitlines()
    text = cache[path]
    return text[number - 1] if 0 < number <= len(text) else ""
