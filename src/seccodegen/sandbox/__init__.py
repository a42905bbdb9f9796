"""Run untrusted code -- model-written programs, and compilers/analyzers reading model-written
source -- in a sandbox. docs/judge.md ("Threat model") says what is isolated and how it was tested.

Default (``isolation == "bwrap"``): bubblewrap with new user/PID/mount/IPC/UTS/network/cgroup
namespaces, a read-only system view and a private size-limited tmpfs (see
:mod:`seccodegen.sandbox.bwrap`), plus per-job limits (:class:`SandboxLimits`): CPU seconds,
wall time (the whole tree is killed), address space, file size, processes and total memory
(one cgroup per job where the machine allows it, :mod:`seccodegen.sandbox.cgroup`), and
bounded stdout/stderr (:mod:`seccodegen.sandbox.process`).

When the caller gives a ``workdir``, its files are copied into the job's tmpfs before the run
and the job's files are copied back (by the parent, with a safe unpacker) after it: the job
never writes to the host's disk.

Where bwrap cannot run (no user namespaces), executing programs needs the explicit
``--allow-exec=unsafe`` (:func:`require_exec_allowed`), which runs them the old way: rlimits,
a new session and an ``unshare -n`` network namespace where possible, a warning on every run.
Compilers and analyzers (``trusted_tool=True``) then run the same weaker way, with one warning.

Callers must have the user's explicit consent (``--allow-exec``) before executing programs.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seccodegen.errors import SeccodegenError
from seccodegen.sandbox import bwrap
from seccodegen.sandbox.cgroup import JobCgroup
from seccodegen.sandbox.process import Captured, disk_modes, run_captured, unpack
from seccodegen.sandbox.supervisor import SOURCE as SUPERVISOR_SOURCE

MiB = 1024 * 1024
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
SUPERVISOR_PYTHON = "/usr/bin/python3"  # the system Python, always under the read-only /usr


class ExecNotAllowedError(SeccodegenError):
    """Raised when model output would be executed without --allow-exec (or the sandbox cannot run)."""


@dataclass(frozen=True)
class SandboxLimits:
    cpu_seconds: int = 10  # RLIMIT_CPU, seconds of CPU time per process
    wall_seconds: float = 15.0  # wall-clock timeout, seconds; the whole process tree is killed
    # RLIMIT_AS, MiB of address space per process. None = no address-space limit: needed for
    # AddressSanitizer builds (ASan reserves terabytes of shadow address space); total_memory_mb
    # still applies then (a cgroup, or the RSS watchdog where there are no cgroups).
    memory_mb: int | None = 1024
    file_size_mb: int = 16  # RLIMIT_FSIZE, MiB per written file
    max_processes: int = 64  # processes + threads of the job together (cgroup pids.max; else RLIMIT_NPROC)
    total_memory_mb: int = 2048  # all processes of the job together, tmpfs files included
    disk_mb: int = 256  # size of the job's writable tmpfs (/tmp with its workdir; /dev/shm the same)
    output_limit_bytes: int = 1 * MiB  # per stream; a job printing more is stopped

    def __post_init__(self) -> None:
        for name in ("cpu_seconds", "file_size_mb", "max_processes", "total_memory_mb", "disk_mb",
                     "output_limit_bytes"):  # fmt: skip
            if getattr(self, name) <= 0:
                raise ValueError(f"SandboxLimits.{name} must be > 0")
        if self.wall_seconds <= 0 or (self.memory_mb is not None and self.memory_mb <= 0):
            raise ValueError("SandboxLimits.wall_seconds and memory_mb must be > 0 (memory_mb may be None)")


# compilers and analyzers: generous, since a batch of files is one process; no address-space
# limit (semgrep's OCaml runtime and clang reserve large address ranges), total memory instead.
# wall_seconds/cpu_seconds are set per call from the caller's timeout (run_tool_sandboxed).
TOOL_LIMITS = SandboxLimits(cpu_seconds=3600, wall_seconds=3600.0, memory_mb=None, file_size_mb=256,
                            max_processes=256, total_memory_mb=4096, disk_mb=512,
                            output_limit_bytes=64 * MiB)  # fmt: skip
COMPILER_MEMORY_MB = 2048  # one compiler process: far above what a sample needs (`#include "/dev/zero"`)


@dataclass(frozen=True)
class SandboxResult:
    returncode: int | None  # None on timeout; negative: killed by that signal
    stdout: str
    stderr: str
    timed_out: bool
    wall_seconds: float
    network_isolated: bool
    isolation: str = "bwrap"  # "bwrap" | "unsafe" (rlimits only; see --allow-exec=unsafe)
    memory_exceeded: bool = False  # the job hit total_memory_mb and was killed
    output_exceeded: bool = False  # the job printed more than output_limit_bytes and was stopped
    error: str | None = None  # the sandbox could not report the job's status/files (why)
    # permission bits (st_mode & 0o7777) of the job's files and dirs after the run, as the job
    # left them, by path relative to the workdir ("." = the workdir); None without a workdir
    file_modes: dict[str, int] | None = None


_unsafe_opt_in = threading.Event()  # set by require_exec_allowed("unsafe"): the user's explicit choice
_tool_warning_shown = threading.Event()


def bwrap_problem() -> str | None:
    """None when the bubblewrap sandbox works here; else why not (one line)."""
    return bwrap.bwrap_problem()


def require_exec_allowed(allow_exec: bool | str) -> None:
    """Check the user's consent to execute generated code, and that it can be sandboxed here.

    ``True``: needs bubblewrap to work; else one line saying why and how to enable it.
    ``"unsafe"``: run even without bubblewrap (rlimits only), with a warning on every run.
    """
    if allow_exec == "unsafe":
        problem = bwrap_problem()
        if problem is not None:
            _unsafe_opt_in.set()
            print(f"warning: --allow-exec=unsafe: {problem}; generated code runs with rlimits only "
                  "(it can read and write your files, see docs/judge.md#threat-model)", file=sys.stderr)  # fmt: skip
        return
    if allow_exec is not True:
        raise ExecNotAllowedError(
            "running model-generated code needs explicit consent: pass --allow-exec "
            "(it runs in a bubblewrap sandbox: no network, no view of your files, time/memory limits)"
        )
    problem = bwrap_problem()
    if problem is not None:
        raise ExecNotAllowedError(
            f"--allow-exec cannot sandbox here: {problem}; {bwrap.how_to_enable(problem)}, "
            "or pass --allow-exec=unsafe to run with rlimits only"
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
    """True when ``unshare -n`` works here (used by the unsafe mode only)."""
    return bool(_unshare_prefix())


def _preexec(limits: SandboxLimits, cgroup_procs: list[str], umask: int | None):
    def apply() -> None:
        if umask is not None:  # inherited by bubblewrap, the supervisor and the job
            os.umask(umask)
        if cgroup_procs:
            JobCgroup.join_self(cgroup_procs)
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
        if limits.memory_mb is not None:
            mem = limits.memory_mb * MiB
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        fsz = limits.file_size_mb * MiB
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsz, fsz))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if not cgroup_procs and os.geteuid() != 0:  # no pids cgroup: RLIMIT_NPROC (per user; root ignores it)
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))

    return apply


def _isolation(trusted_tool: bool) -> str:
    problem = bwrap_problem()
    if problem is None:
        return "bwrap"
    if trusted_tool:
        if not _tool_warning_shown.is_set():
            _tool_warning_shown.set()
            print(f"warning: {problem}: compilers and analyzers run without filesystem isolation", file=sys.stderr)
        return "unsafe"
    if _unsafe_opt_in.is_set():
        return "unsafe"
    raise ExecNotAllowedError(
        f"cannot sandbox generated code here: {problem}; {bwrap.how_to_enable(problem)}, "
        "or pass --allow-exec=unsafe to run with rlimits only"
    )


def _shared_dir(path: Path) -> bool:
    """A directory others use (/, the temp dir, home, ...): never a job's workdir (its content is replaced)."""
    shared = {Path("/"), Path(tempfile.gettempdir()).resolve(), Path("/tmp"), Path.home().resolve(), Path.cwd()}
    return path in shared or len(path.parts) <= 2  # /usr, /etc, /var, ...


def run_sandboxed(
    argv: list[str],
    workdir: str | Path | None = None,
    limits: SandboxLimits = SandboxLimits(),
    stdin: str | None = None,
    isolate_network: bool = True,
    *,
    ro_paths: Sequence[str | Path] = (),
    env: dict[str, str] | None = None,
    copy_back: bool = True,
    trusted_tool: bool = False,
    umask: int | None = None,
) -> SandboxResult:
    """Run ``argv`` with ``workdir`` as cwd and HOME (a fresh empty dir if None) under ``limits``.

    ``ro_paths``: host files/dirs the job needs (its binary, input files), shown read-only at
    their own paths. ``workdir``'s files are copied in; with ``copy_back`` the job's files
    replace them afterwards. ``env``: extra environment variables (the parent's are never
    passed). ``trusted_tool``: a compiler/analyzer (reads untrusted input but is not itself
    untrusted), which runs even where only the weaker isolation is available. ``umask``: the
    job's file creation mask (None = this process's).
    """
    isolation = _isolation(trusted_tool)
    if workdir is not None and _shared_dir(Path(workdir).resolve()):
        raise ValueError(f"run_sandboxed: workdir {workdir} is a shared directory; give the job a directory of its own")
    tmp_ctx = tempfile.TemporaryDirectory(prefix="seccodegen-sbx-") if workdir is None else None
    host_dir = Path(tmp_ctx.name if tmp_ctx else workdir).resolve()  # type: ignore[arg-type]
    cgroup = JobCgroup.create(limits.total_memory_mb * MiB, limits.max_processes)
    rss_limit = None if cgroup is not None else limits.total_memory_mb * MiB
    job_env = {"PATH": bwrap.tool_path() if trusted_tool else SYSTEM_PATH, "HOME": str(host_dir),
               "TMPDIR": "/tmp" if isolation == "bwrap" else str(host_dir), "LANG": "C.UTF-8",
               "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}  # fmt: skip
    status_pipe = None
    network_isolated = isolation == "bwrap" and isolate_network
    try:
        if isolation == "bwrap":
            with_supervisor = workdir is not None
            full = bwrap.bwrap_argv(
                cwd=str(host_dir), disk_bytes=limits.disk_mb * MiB, ro_paths=ro_paths,
                staging=str(host_dir) if with_supervisor else None, share_net=not isolate_network,
            )  # fmt: skip
            if with_supervisor:
                status_pipe = os.pipe()
                full += [SUPERVISOR_PYTHON, "-I", "-S", "-c", SUPERVISOR_SOURCE, str(status_pipe[1]),
                         bwrap.STAGING_DIR, str(host_dir), "1" if copy_back else "0"]  # fmt: skip
            full += argv
        else:
            prefix = _unshare_prefix() if isolate_network else ()
            network_isolated = bool(prefix)
            full = [*prefix, *argv]
        try:
            cap = run_captured(
                full, env=job_env, cwd=str(host_dir), stdin=None if stdin is None else stdin.encode(),
                wall_seconds=limits.wall_seconds, output_limit=limits.output_limit_bytes,
                status_limit=limits.disk_mb * MiB + MiB, rss_limit=rss_limit, cgroup=cgroup,
                preexec_fn=_preexec(limits, cgroup.procs_files() if cgroup else [], umask),
                status_pipe=status_pipe,
            )  # fmt: skip
        except FileNotFoundError as exc:
            return SandboxResult(127, "", f"cannot run {argv[0]}: {exc.strerror}", False, 0.0,
                                 network_isolated, isolation, error=f"{argv[0]} not found")  # fmt: skip
        result = _result(cap, status_pipe is not None, copy_back, host_dir, network_isolated, isolation)
        if workdir is not None and status_pipe is None:  # the job ran in the workdir itself
            result = dataclasses.replace(result, file_modes=disk_modes(host_dir))
        return result
    finally:
        if cgroup is not None:
            cgroup.remove()
        if tmp_ctx is not None:
            tmp_ctx.cleanup()


def _result(
    cap: Captured, supervised: bool, copy_back: bool, host_dir: Path, network_isolated: bool, isolation: str
) -> SandboxResult:
    returncode, error, modes = cap.returncode, None, None
    if supervised and not (cap.timed_out or cap.output_exceeded or cap.memory_exceeded):
        head, sep, tar = cap.status.partition(b"\n")
        if sep and head.lstrip(b"-").isdigit():
            returncode = int(head)
            modes = unpack(tar, host_dir) if copy_back and cap.status_complete else None
            if copy_back and modes is None:
                error = "the job's files could not be collected from the sandbox"
        else:
            error = "the sandbox's supervisor reported no exit status (the job interfered with it)"
    stderr = cap.stderr.decode("utf-8", errors="replace")
    if cap.output_exceeded:
        stderr += "\n[sandbox: output limit exceeded, job stopped]"
    if cap.memory_exceeded:
        stderr += "\n[sandbox: total memory limit exceeded, job killed]"
    return SandboxResult(
        returncode=returncode,
        stdout=cap.stdout.decode("utf-8", errors="replace"),  # at most output_limit_bytes (tools need it all)
        stderr=stderr,
        timed_out=cap.timed_out,
        wall_seconds=cap.wall_seconds,
        network_isolated=network_isolated,
        isolation=isolation,
        memory_exceeded=cap.memory_exceeded,
        output_exceeded=cap.output_exceeded,
        error=error,
        file_modes=modes,
    )


_PATH_FLAGS = ("-isystem", "-iquote", "-idirafter", "-include", "-I", "-L")  # compiler flags glued to a path


def input_paths(argv: Sequence[str]) -> list[str]:
    """The absolute paths in ``argv`` that exist on the host outside /usr (a job's inputs): plain
    arguments, paths glued to a compiler flag (``-I/dir``) and ``--option=/path`` values. The
    caller's flags name them (a scenario's or a benchmark's include dirs), never a sample's code."""
    out = []
    for arg in argv:
        path = arg
        if not arg.startswith("/"):
            flag = next((f for f in _PATH_FLAGS if arg.startswith(f)), None)
            path = arg[len(flag):] if flag else arg.partition("=")[2] if arg.startswith("--") else ""
        if path.startswith("/") and not path.startswith("/usr/") and os.path.exists(path):
            out.append(path)
    return out


def run_tool_sandboxed(
    argv: list[str],
    timeout: float,
    *,
    workdir: str | Path | None = None,
    ro_paths: Sequence[str | Path] = (),
    env: dict[str, str] | None = None,
    total_memory_mb: int = TOOL_LIMITS.total_memory_mb,
) -> SandboxResult:
    """A compiler or analyzer over untrusted input: :data:`TOOL_LIMITS` with ``timeout`` seconds."""
    limits = dataclasses.replace(
        TOOL_LIMITS, cpu_seconds=max(1, math.ceil(timeout)), wall_seconds=timeout, total_memory_mb=total_memory_mb
    )
    return run_sandboxed(argv, workdir, limits, ro_paths=ro_paths, env=env, trusted_tool=True)
