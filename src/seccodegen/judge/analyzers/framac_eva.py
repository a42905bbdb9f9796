"""Frama-C's Eva value analysis (Debian ``frama-c-base``) on whole C programs: memory safety, overflow.

Eva runs the program abstractly from ``main`` over all inputs (``rand()``, ``fgets``, argv are
"any value") and emits an *alarm* wherever an operation may be undefined. One ``frama-c``
process per program (Eva analyses one whole program; files cannot share a process), with the
program's ``-I``/``-D`` flags. ``alloca`` (no specification in Frama-C's libc) is analysed as
``malloc``: the bounds are what matters, not where the block lives.

Alarm -> CWE (only kinds with a CWE the judge decides on; the rest is recorded, never decisive):

* ``out of bounds write`` (``\\valid``) -> 787; ``out of bounds read`` (``\\valid_read``) -> 125;
  ``accessing out of bounds index`` -> 788 (in every buffer family). Eva gives a NULL pointer the
  same alarm as any invalid one, so these also carry 476 only when the asserted expression is a
  plain pointer (``\\valid_read(p)`` or ``p + 0``, no other offset).
* ``signed overflow`` -> 190; ``\\dangling`` (use of a freed or out-of-scope block) -> 416.
* a libc function's precondition *proved false* (status invalid): ``valid_dest``, ``room_*``,
  ``valid_s`` -> 787; ``valid_src``/``valid_read*`` -> 125. Preconditions with status *unknown*
  are not decisive: Eva cannot bound strings read from input, so every ``printf(buf)`` would be one.
* ``\\initialized``, downcasts, division by zero, float alarms: recorded with no CWE.

Programs without ``main`` (lone functions) give no findings: there is nothing to start from.
C only: Frama-C has no C++ front end here.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from seccodegen.findings import Finding
from seccodegen.judge.analyzers.base import ANALYZERS, AnalyzerCrash, run_tool, tool_version, which
from seccodegen.judge.cwe_map import map_rule

TOOL = "frama-c-eva"
# -eva-no-alloc-returns-null: malloc is assumed to succeed; an unchecked allocation result is the
# NULL-dereference query's business, and with it every write through one would read as 787 here
OPTIONS = (
    "-eva", "-eva-no-show-progress", "-eva-verbose", "0", "-kernel-verbose", "0", "-eva-no-alloc-returns-null",
    "-main", "main",
)  # fmt: skip
PREPROCESSOR_EXTRA = ("-Dalloca=malloc",)
# "[eva:alarm] prog.c:30: Warning: \n  signed overflow. assert data + 1 ≤ 9223372036854775807;"
ALARM_RE = re.compile(
    r"^\[eva:alarm\] (?P<file>[^:\n]+):(?P<line>\d+): Warning:\s*\n(?P<msg>(?:  [^\n]*(?:\n|$))+)", re.M
)
PRECONDITION_RE = re.compile(
    r"function (?P<fn>\w+)(?:, behavior \w+)?: precondition '?(?P<name>[^' ]+)'? got status (?P<status>\w+)"
)
ALARM_CWES: dict[str, tuple[str, ...]] = {
    "out of bounds write": ("CWE-787",),
    "out of bounds read": ("CWE-125",),
    "accessing out of bounds index": ("CWE-788",),
    "signed overflow": ("CWE-190",),
}
# \valid(p) or \valid_read(p + 0) (what p[0] becomes): the pointer itself, not an offset, is bad
PLAIN_POINTER_RE = re.compile(r"\\valid(?:_read)?\(\s*[A-Za-z_]\w*(?:\s*\+\s*0)?\s*\)")
WRITE_PRECONDITIONS = re.compile(r"^(?:valid_dest|room_\w+|valid_s|valid_buf|valid_string_dest)$")
READ_PRECONDITIONS = re.compile(r"^(?:valid_src|valid_read\w*|valid_string_src|valid_nstring_src)$")
NO_MAIN_RE = re.compile(r"\bmain\s*\(")


def alarm_cwes(message: str) -> tuple[str, ...]:
    """CWE ids of one Eva alarm line (``"<kind>. assert <predicate>;"``), () when not decisive."""
    kind = message.split(".", 1)[0].strip()
    if "\\dangling" in message:
        return ("CWE-416",)
    cwes = ALARM_CWES.get(kind, ())
    if kind in ("out of bounds read", "out of bounds write") and PLAIN_POINTER_RE.search(message):
        cwes = cwes + ("CWE-476",)
    return cwes


def precondition_cwes(name: str, status: str) -> tuple[str, ...]:
    """CWE ids of a libc precondition Eva proved false; unknown statuses are never decisive."""
    if status != "invalid":
        return ()
    if WRITE_PRECONDITIONS.match(name):
        return ("CWE-787",)
    if READ_PRECONDITIONS.match(name):
        return ("CWE-125",)
    return ()


def parse_log(log: str, path: Path) -> list[Finding]:
    """Findings from one Eva log of program ``path`` (alarms in other files, e.g. headers, dropped)."""
    out = []
    for m in ALARM_RE.finditer(log):
        if Path(m.group("file")).name != path.name:
            continue
        msg = " ".join(m.group("msg").split())  # the alarm's indented lines, joined
        pre = PRECONDITION_RE.search(msg)
        if pre:
            rule = f"precondition:{pre.group('fn')}:{pre.group('name')}:{pre.group('status')}"
            reported = precondition_cwes(pre.group("name"), pre.group("status"))
        else:
            rule = msg.split(".", 1)[0].strip().replace(" ", "-")
            reported = alarm_cwes(msg)
        out.append(
            Finding(
                tool=TOOL,
                rule=rule,
                message=msg,
                line=int(m.group("line")),
                file=str(path),
                cwe_ids=map_rule(TOOL, rule, msg, reported),
                severity="warning",
            )
        )
    return out


@ANALYZERS.register(TOOL)
class FramaCEva:
    name = TOOL
    languages = ("c",)
    batch_size = 4  # one frama-c process per program; a batch only shares the engine's task
    default = False  # measured in docs/judge.md: not in the default set

    def version(self) -> str:
        return tool_version(("frama-c", "-version")) + " " + " ".join(OPTIONS + PREPROCESSOR_EXTRA)

    def available(self) -> bool:
        return which("frama-c") is not None

    def run(
        self, files: list[Path], language: str, timeout: float, flags: Sequence[str] = ()
    ) -> dict[Path, list[Finding]]:
        cpp_flags = [f for f in flags if f.startswith(("-I", "-D", "-U"))] + list(PREPROCESSOR_EXTRA)
        deadline = time.monotonic() + timeout
        out: dict[Path, list[Finding]] = {}
        for path in files:
            if not NO_MAIN_RE.search(path.read_text(encoding="utf-8", errors="replace")):
                continue  # a lone function: Eva needs an entry point
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired("frama-c", timeout)
            argv = ["frama-c", f"-cpp-extra-args={' '.join(cpp_flags)}", *OPTIONS, str(path.resolve())]
            proc = run_tool(argv, left, cwd=path.parent)
            log = proc.stdout + proc.stderr
            if proc.returncode != 0 and "[kernel] User Error" not in log and "[eva]" not in log:
                raise AnalyzerCrash(f"frama-c exited {proc.returncode}: {log.strip()[-300:]}")
            found = parse_log(log, path)  # a parse error (User Error) leaves no alarms: no findings
            if found:
                out[path] = found
        return out
