"""Run untrusted programs (model output, unit tests) in a sandbox.

Each run gets: a fresh temporary directory as cwd and HOME (never the user's home), rlimits on
CPU seconds, address space, file size and process count, a wall-clock timeout, a minimal
environment, and no network where the kernel allows it (``unshare -n``, i.e. a new network
namespace with only a down loopback). Where ``unshare`` is not permitted (unprivileged
containers), the documented fallback is the same limits without the network namespace; the
result records ``network_isolated`` so reports can say which one ran.

Callers must have the user's explicit consent (``--allow-exec``) before calling :func:`run_sandboxed`.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from seccodegen.errors import SeccodegenError


class ExecNotAllowedError(SeccodegenError):
    """Raised when model output would be executed without --allow-exec."""


@dataclass(frozen=True)
class SandboxLimits:
    cpu_seconds: int = 10  # RLIMIT_CPU, seconds of CPU time
    wall_seconds: float = 15.0  # wall-clock timeout, seconds
    memory_mb: int = 1024  # RLIMIT_AS, MiB of address space
    file_size_mb: int = 16  # RLIMIT_FSIZE, MiB per written file
    max_processes: int = 64  # RLIMIT_NPROC (per user: counts the user's other processes too)
    # False for sanitizer builds: ASan reserves terabytes of virtual memory (shadow memory), so
    # RLIMIT_AS would kill it at start; such runs bound memory with ASAN_OPTIONS instead.
    limit_address_space: bool = True


@dataclass(frozen=True)
class SandboxResult:
    returncode: int | None  # None on timeout
    stdout: str
    stderr: str
    timed_out: bool
    wall_seconds: float
    network_isolated: bool


def require_exec_allowed(allow_exec: bool) -> None:
    if not allow_exec:
        raise ExecNotAllowedError(
            "running model-generated code needs explicit consent: pass --allow-exec "
            "(it runs in a sandbox with rlimits, a timeout and no network where possible)"
        )


@functools.lru_cache(maxsize=1)
def _unshare_prefix() -> tuple[str, ...]:
    """The ``unshare`` argv prefix that works here (root, or user namespaces), or () if none does."""
    exe = shutil.which("unshare")
    if exe is None:
        return ()
    for args in ((exe, "-n"), (exe, "-r", "-n")):
        try:
            if subprocess.run([*args, "true"], capture_output=True, timeout=5).returncode == 0:
                return args
        except (OSError, subprocess.SubprocessError):
            continue
    return ()


def network_namespace_available() -> bool:
    """True when ``unshare -n`` works here (root, or user namespaces allowed)."""
    return bool(_unshare_prefix())


def _limit_fn(limits: SandboxLimits):
    def apply() -> None:
        os.setsid()  # own process group, so a timeout kills children too
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
        if limits.limit_address_space:
            mem = limits.memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        fsz = limits.file_size_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsz, fsz))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if os.geteuid() != 0:  # root ignores RLIMIT_NPROC; for users it bounds fork bombs
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))

    return apply


def run_sandboxed(
    argv: list[str],
    workdir: str | Path | None = None,
    limits: SandboxLimits = SandboxLimits(),
    stdin: str | None = None,
    isolate_network: bool = True,
    extra_env: Mapping[str, str] | None = None,
) -> SandboxResult:
    """Run ``argv`` in ``workdir`` (a fresh temp dir if None) under ``limits``.

    ``extra_env`` adds variables to the minimal environment (e.g. ``ASAN_OPTIONS``).
    """
    tmp_ctx = tempfile.TemporaryDirectory(prefix="seccodegen-sbx-") if workdir is None else None
    cwd = Path(tmp_ctx.name if tmp_ctx else workdir)  # type: ignore[arg-type]
    prefix = _unshare_prefix() if isolate_network else ()
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(cwd),
        "TMPDIR": str(cwd),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        **(extra_env or {}),
    }
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            [*prefix, *argv],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            preexec_fn=_limit_fn(limits),
        )
        try:
            out, err = proc.communicate(stdin, timeout=limits.wall_seconds)
            timed_out = False
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, 9)
            except ProcessLookupError:
                pass
            out, err = proc.communicate()
            timed_out = True
        return SandboxResult(
            returncode=None if timed_out else proc.returncode,
            stdout=out[-20000:],
            stderr=err[-20000:],
            timed_out=timed_out,
            wall_seconds=time.monotonic() - start,
            network_isolated=bool(prefix),
        )
    finally:
        if tmp_ctx is not None:
            tmp_ctx.cleanup()
