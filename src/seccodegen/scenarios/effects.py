"""What a security test's run shows by itself, before its expectations: the attack-effect rule.

A security test fails only on an effect of the attack (docs/scenarios.md, "What a security test
asserts"); how the program reacts to a hostile input it refuses is not an effect. From the run
alone (stderr, the signal, the sandbox's limits):

* a sanitizer report of a memory error or undefined behaviour (ASan, UBSan ``runtime error:``)
  is an effect;
* a crash signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS) is an effect: memory
  corruption or undefined behaviour that no sanitizer caught (an unsanitized build);
* SIGABRT is an effect only when the C library aborted on a corrupted heap or stack (``double
  free``, ``*** stack smashing detected ***``, ...); an uncaught C++ exception (``terminate
  called``), a failed ``assert`` or a plain ``abort()`` on bad input is a safe stop;
* running out of resources (the CPU-time, wall-time, memory or output limit, or a sanitizer's
  out-of-memory report) is an effect only in a test with ``exhaustion_is_effect: true`` (CWE-400,
  CWE-770, CWE-789: unbounded work or allocation driven by the input); otherwise the run is
  judged by its expectations, on the output it printed before it was stopped.

Anything else (another exit code, another signal) is judged by the test's expectations alone.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass

from seccodegen.sandbox import SandboxResult

# What a sanitizer prints when it caught something (ASan/LSan "ERROR: AddressSanitizer: ...", UBSan
# "file.c:3:5: runtime error: ...", and every sanitizer's closing "SUMMARY: UndefinedBehaviorSanitizer").
SANITIZER_REPORT_RE = re.compile(r"ERROR: \w*Sanitizer|runtime error:|SUMMARY: \w*Sanitizer")
# ... of running out of memory: an allocation the input asked for, not a memory error. ASan says so
# where a plain build gets NULL from malloc or std::bad_alloc from operator new.
SANITIZER_EXHAUSTION_RE = re.compile(
    r"Sanitizer: (allocator is out of memory|out-of-memory|requested allocation size|allocation-size-too-big"
    r"|hard rss limit exhausted|rss-limit-exhausted|calloc-overflow|calloc parameters overflow"
    r"|pvalloc-overflow|out of memory)|Sanitizer failed to allocate"
)
# ... and what a runtime prints when the memory it may use ran out (C++ std::bad_alloc, Java's heap
# limit, Python's MemoryError)
RUNTIME_EXHAUSTION_RE = re.compile(r"'std::bad_alloc'|java\.lang\.OutOfMemoryError|^MemoryError\b", re.M)
# signals of memory corruption or undefined behaviour (an unsanitized build has no report)
CRASH_SIGNALS = frozenset(
    {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGTRAP, signal.SIGSYS}
)
# signals of a resource limit: CPU seconds (SIGXCPU), file size (SIGXFSZ), the sandbox's kill (SIGKILL)
EXHAUSTION_SIGNALS = frozenset({signal.SIGXCPU, signal.SIGXFSZ, signal.SIGKILL})
# glibc's own heap and stack checks abort with these: memory corruption, an effect
LIBC_CORRUPTION_RE = re.compile(
    r"\*\*\* (stack smashing|buffer overflow) detected|double free|free\(\): |malloc\(\): |realloc\(\): "
    r"|corrupted (size|double-linked|top size|unsorted)|munmap_chunk\(\)|malloc_consolidate|glibc detected"
)
SHOWN_CHARS = 300  # how much of stdout/stderr a failure reason quotes


def quote(text: str) -> str:
    text = text.strip()
    return repr(text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "...")


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def sanitizer_report(stderr: str) -> str | None:
    """The first line of a sanitizer report in ``stderr``, or None when there is none."""
    for line in stderr.splitlines():
        if SANITIZER_REPORT_RE.search(line):
            return line.strip()[:SHOWN_CHARS]
    return None


@dataclass(frozen=True)
class RunEffect:
    """What the run shows by itself: ``effect`` (why the test fails) or None; ``exhausted``: a
    resource limit stopped it (an effect only when the test says so)."""

    effect: str | None = None
    exhausted: str | None = None


def read_run(result: SandboxResult, sanitized: bool) -> RunEffect:
    """Apply the attack-effect rule to one run of a security test (module docstring)."""
    report = sanitizer_report(result.stderr) if sanitized else None
    if report is not None:
        if SANITIZER_EXHAUSTION_RE.search(result.stderr):
            return RunEffect(exhausted=f"sanitizer: {report}")
        return RunEffect(effect=f"sanitizer: {report}")
    if result.timed_out:
        return RunEffect(exhausted="timed out")
    if result.memory_exceeded or result.output_exceeded:
        what = "memory" if result.memory_exceeded else "output"
        return RunEffect(exhausted=f"stopped at the sandbox's {what} limit")
    code = result.returncode
    if code and RUNTIME_EXHAUSTION_RE.search(result.stderr):
        return RunEffect(exhausted=f"out of memory (output: {quote(result.stderr)})")
    if code is None or code >= 0:
        return RunEffect()
    number = -code
    output = quote(result.stderr or result.stdout)
    if number in CRASH_SIGNALS:
        return RunEffect(effect=f"killed by signal {signal_name(number)} (output: {output})")
    if number in EXHAUSTION_SIGNALS:
        return RunEffect(exhausted=f"killed by signal {signal_name(number)} (output: {output})")
    if number == signal.SIGABRT and LIBC_CORRUPTION_RE.search(result.stderr):
        return RunEffect(effect=f"killed by signal SIGABRT on memory corruption (output: {output})")
    return RunEffect()  # a safe stop: uncaught exception, assert, abort(), another signal
