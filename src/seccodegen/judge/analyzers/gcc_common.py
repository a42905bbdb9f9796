"""Running gcc/g++ over a batch of files and parsing its plain-text diagnostics."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from pathlib import Path

from seccodegen.findings import Finding
from seccodegen.judge.analyzers.base import AnalyzerCrash, resolve, run_tool, tool_argv, tool_version, which
from seccodegen.judge.cwe_map import map_rule
from seccodegen.judge.prefix_headers import PrefixHeaders
from seccodegen.sandbox import input_paths

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
    tool: str, files: list[Path], language: str, options: Sequence[str], flags: Sequence[str], timeout: float,
    prefix_headers: PrefixHeaders | None = None,
) -> dict[Path, list[Finding]]:
    """Compile every file with ``-c`` in one sandboxed job (objects go to its scratch dir): one gcc
    process, or one per precompiled opening block the files share (``prefix_headers``)."""
    by_name = resolve(files)
    base = [COMPILER[language], STD[language], "-fdiagnostics-plain-output", "-fno-diagnostics-show-caret",
            *options, *flags]  # fmt: skip
    groups: dict[Path | None, list[Path]] = {}
    for f in files:
        header = prefix_headers.gcc_header(base, language, f) if prefix_headers else None
        groups.setdefault(header, []).append(f)
    commands = [[*base, *(["-include", str(h)] if h else []), "-c", *[str(f.resolve()) for f in fs]]
                for h, fs in groups.items()]  # fmt: skip
    header_dirs = [str(h.parent) for h in groups if h]  # each .gch beside its header
    if len(commands) == 1:
        argv = commands[0]
        proc = run_tool(argv, timeout, ro_paths=header_dirs)
    else:  # one job runs them in turn and exits with the highest status (gcc: 1 = a compile error)
        keep_highest = "|| { r=$?; [ $r -gt $s ] && s=$r; };"
        script = " ".join(f"{shlex.join(tool_argv(c))} {keep_highest}" for c in commands)
        argv = ["sh", "-c", f"s=0; {script} exit $s"]
        shown = [*[str(f.resolve()) for f in files], *header_dirs, *input_paths(flags)]
        proc = run_tool(argv, timeout, ro_paths=shown)
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
