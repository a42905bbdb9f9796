"""Running gcc/g++ over a batch of files and parsing its plain-text diagnostics."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from seccodegen.findings import Finding
from seccodegen.judge.analyzers.base import AnalyzerCrash, resolve, run_tool, tool_version, which
from seccodegen.judge.cwe_map import map_rule

COMPILER = {"c": "gcc", "cpp": "g++"}
STD = {"c": "-std=gnu11", "cpp": "-std=gnu++17"}  # gnu: POSIX prototypes visible without feature macros
# file:line:col: warning: message [CWE-416] [-Wanalyzer-use-after-free]
DIAG_RE = re.compile(
    r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>warning|error): (?P<msg>.*?)"
    r"(?: \[(?P<cwe>CWE-\d+)\])?(?: \[(?P<flag>-W[^\]]+)\])?$"
)


def flag_name(flag: str) -> str:
    """``-Wstringop-overflow=4`` -> ``-Wstringop-overflow=`` (the table key); ``-Wall`` stays."""
    return flag.split("=", 1)[0] + "=" if "=" in flag else flag


def run_gcc_batch(
    tool: str, files: list[Path], language: str, options: Sequence[str], flags: Sequence[str], timeout: float
) -> dict[Path, list[Finding]]:
    """Compile every file with ``-c`` in one gcc process (objects go to a scratch dir)."""
    by_name = resolve(files)
    with tempfile.TemporaryDirectory(prefix="seccodegen-gcc-") as scratch:
        argv = [COMPILER[language], STD[language], "-c", "-fdiagnostics-plain-output",
                "-fno-diagnostics-show-caret", *options, *flags, *[str(f.resolve()) for f in files]]  # fmt: skip
        proc = run_tool(argv, timeout, cwd=Path(scratch))
    out: dict[Path, list[Finding]] = {}
    for line in proc.stderr.splitlines():
        m = DIAG_RE.match(line)
        if not m or m.group("sev") != "warning":
            continue  # errors are validity's business; notes are path steps
        path = by_name.get(m.group("file"))
        if path is None:
            continue  # a header
        flag = m.group("flag") or ""
        rule = flag_name(flag) if flag else "warning"
        reported = [m.group("cwe")] if m.group("cwe") else []
        out.setdefault(path, []).append(
            Finding(
                tool=tool,
                rule=rule,
                message=m.group("msg"),
                line=int(m.group("line")),
                column=int(m.group("col")),
                file=str(path),
                cwe_ids=map_rule(tool, rule, m.group("msg"), reported),
            )
        )
    if proc.returncode not in (0, 1) and not out and "error:" not in proc.stderr:
        raise AnalyzerCrash(f"{argv[0]} exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return out


def gcc_version(language: str) -> str:
    return tool_version((COMPILER[language], "--version"))


def gcc_available() -> bool:
    return which("gcc") is not None and which("g++") is not None
