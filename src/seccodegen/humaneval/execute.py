"""Compile and run HumanEval-X C++ programs in the sandbox, in parallel, cached by content.

Status of one program:
* ``passed``        compiled, and the test's asserts all held (exit 0 within the limits);
* ``failed``        compiled but an assert failed, it crashed, or it timed out;
* ``compile_error`` the completion does not compile (the model's fault);
* ``could_not_run`` a header the task needs (boost, openssl) is not installed: never counted
  as a failure of the model; such tasks are left out of pass@k and reported.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seccodegen.interrupt import stoppable_pool
from seccodegen.records import content_hash
from seccodegen.sandbox import COMPILER_MEMORY_MB, SandboxLimits, run_sandboxed, run_tool_sandboxed

# header prefix -> (Debian package that provides it, extra link flags)
LIBRARIES = {
    "boost/": ("libboost-dev", []),
    "openssl/": ("libssl-dev", ["-lcrypto"]),
}
_MISSING_HEADER = re.compile(r"fatal error: ([\w/.+-]+): No such file or directory")
_INCLUDE = re.compile(r"#\s*include\s*[<\"]([^>\"]+)[>\"]")

COMPILE_TIMEOUT_S = 60  # wall seconds for one g++ call (2-core machines under load)


@dataclass(frozen=True)
class Execution:
    status: str  # passed | failed | compile_error | could_not_run
    detail: str = ""  # first compiler error, assert message, or missing package


def link_flags(program: str) -> list[str]:
    flags: list[str] = []
    for header in _INCLUDE.findall(program):
        for prefix, (_, extra) in LIBRARIES.items():
            if header.startswith(prefix):
                flags += extra
    return flags


def _missing_library(stderr: str) -> str | None:
    m = _MISSING_HEADER.search(stderr)
    if not m:
        return None
    for prefix, (package, _) in LIBRARIES.items():
        if m.group(1).startswith(prefix):
            return f"needs {m.group(1)} (apt-get install {package})"
    return None


def run_program(program: str, limits: SandboxLimits) -> Execution:
    gxx = shutil.which("g++")
    if gxx is None:
        return Execution("could_not_run", "g++ is not installed (apt-get install g++)")
    with tempfile.TemporaryDirectory(prefix="seccodegen-he-") as tmp:
        src = Path(tmp) / "main.cpp"
        src.write_text(program, encoding="utf-8")
        comp = run_tool_sandboxed(
            [gxx, "-std=c++17", "-O0", "-pipe", "-w", "-o", "prog", "main.cpp", *link_flags(program)],
            COMPILE_TIMEOUT_S, workdir=tmp, total_memory_mb=COMPILER_MEMORY_MB,
        )  # fmt: skip
        if comp.timed_out:
            return Execution("compile_error", f"g++ took over {COMPILE_TIMEOUT_S} s")
        if comp.returncode != 0:
            missing = _missing_library(comp.stderr)
            if missing:
                return Execution("could_not_run", missing)
            first = next((ln for ln in comp.stderr.splitlines() if "error" in ln), comp.stderr[:200])
            return Execution("compile_error", first.strip()[:300])
        res = run_sandboxed(["./prog"], workdir=tmp, limits=limits, copy_back=False)
        if res.timed_out:
            return Execution("failed", f"timed out after {limits.wall_seconds} s")
        if res.returncode == 0:
            return Execution("passed")
        tail = (res.stderr.strip().splitlines() or [f"exit {res.returncode}"])[-1]
        return Execution("failed", tail[:300])


def execute_all(
    programs: list[str],
    limits: SandboxLimits = SandboxLimits(cpu_seconds=10, wall_seconds=20, memory_mb=2048),
    jobs: int | None = None,
    cache: dict[str, Execution] | None = None,
    on_done: Callable[[int], None] | None = None,
) -> list[Execution]:
    """Run each program once per distinct text (identical samples share one run)."""
    cache = {} if cache is None else cache
    keys = [content_hash(p) for p in programs]
    todo = {k: p for k, p in zip(keys, programs) if k not in cache}
    with stoppable_pool(jobs or os.cpu_count() or 1) as pool:
        futures = {k: pool.submit(run_program, p, limits) for k, p in todo.items()}
        for k, fut in futures.items():
            cache[k] = fut.result()
            if on_done:
                on_done(sum(1 for key in keys if key == k))
    if on_done:
        on_done(0)
    return [cache[k] for k in keys]
