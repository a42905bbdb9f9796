"""One control group per sandboxed job: total memory, process count, and killing the whole tree.

Where the machine lets this process create cgroups (root in most containers and CI machines;
cgroup v1 with the ``memory`` and ``pids`` controllers, or cgroup v2 with a delegated subtree),
every job gets its own group under this process's group:

* ``memory.limit_in_bytes`` / ``memory.max``: all of the job's processes together, including
  the pages of its tmpfs files (tmpfs pages are charged to the writer's group). This is the
  limit that works with AddressSanitizer, which reserves terabytes of address space but uses
  little of it (so ``RLIMIT_AS`` cannot be used there);
* ``pids.max``: processes and threads together (``RLIMIT_NPROC`` is per user and does not bind
  root or the root-mapped user of a user namespace);
* killing: every process in the group gets SIGKILL, wherever it was re-parented to.

Where cgroups are not available, :func:`JobCgroup.create` returns None and the caller falls
back to rlimits and a parent-side RSS watchdog (see :mod:`seccodegen.sandbox.process`).
"""

from __future__ import annotations

import functools
import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_counter = itertools.count()


def _own_paths() -> dict[str, str]:
    """controller name (``""`` for v2) -> this process's group path, from /proc/self/cgroup."""
    out: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for c in controllers.split(",") if controllers else [""]:
            out[c] = path
    return out


def _writable_dir(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK)


@functools.lru_cache(maxsize=1)
def _layout() -> tuple[str, dict[str, Path]] | None:
    """("v1"|"v2", {controller: parent dir for job groups}) where job groups can be made, else None."""
    own = _own_paths()
    v1 = {}
    for ctl in ("memory", "pids"):
        base = CGROUP_ROOT / ctl
        if ctl in own and (base / "cgroup.procs").exists():
            nested = base / own[ctl].lstrip("/")
            v1[ctl] = nested if _writable_dir(nested) else base
    if len(v1) == 2 and all(_writable_dir(p) for p in v1.values()):
        return "v1", v1
    if (CGROUP_ROOT / "cgroup.controllers").exists() and "" in own:
        parent = CGROUP_ROOT / own[""].lstrip("/")
        try:
            enabled = (parent / "cgroup.subtree_control").read_text().split()
        except OSError:
            return None
        if {"memory", "pids"} <= set(enabled) and _writable_dir(parent):
            return "v2", {"memory": parent, "pids": parent}
    return None


@functools.lru_cache(maxsize=1)
def cgroups_available() -> bool:
    """True when a job group with memory and pids limits can be created here (probed once)."""
    if _layout() is None:
        return False
    probe = JobCgroup._make(memory_bytes=64 << 20, max_processes=8)
    if probe is None:
        return False
    probe.remove()
    return True


@dataclass
class JobCgroup:
    version: str
    dirs: tuple[Path, ...]  # one per controller (v1) or the single group (v2)

    @classmethod
    def create(cls, memory_bytes: int, max_processes: int) -> JobCgroup | None:
        """A fresh group with these limits, or None where cgroups cannot be used here."""
        if not cgroups_available():
            return None
        return cls._make(memory_bytes, max_processes)

    @classmethod
    def _make(cls, memory_bytes: int, max_processes: int) -> JobCgroup | None:
        layout = _layout()
        if layout is None:
            return None
        version, parents = layout
        name = f"seccodegen-{os.getpid()}-{next(_counter)}"
        made: list[Path] = []
        try:
            if version == "v1":
                mem, pids = parents["memory"] / name, parents["pids"] / name
                for d in (mem, pids):
                    d.mkdir()
                    made.append(d)
                (mem / "memory.limit_in_bytes").write_text(str(memory_bytes))
                swap = mem / "memory.memsw.limit_in_bytes"  # only where swap accounting is on
                if swap.exists():
                    swap.write_text(str(memory_bytes))
                (pids / "pids.max").write_text(str(max_processes))
            else:
                group = parents["memory"] / name
                group.mkdir()
                made.append(group)
                (group / "memory.max").write_text(str(memory_bytes))
                (group / "memory.swap.max").write_text("0")
                (group / "pids.max").write_text(str(max_processes))
        except OSError:
            for d in made:
                try:
                    d.rmdir()
                except OSError:
                    pass
            return None
        return cls(version, tuple(made))

    def procs_files(self) -> list[str]:
        """The ``cgroup.procs`` files a new process writes its pid to (see :meth:`join_self`)."""
        return [str(d / "cgroup.procs") for d in self.dirs]

    @staticmethod
    def join_self(procs_files: list[str]) -> None:
        """Move the calling process into the group; runs in the child between fork and exec."""
        pid = str(os.getpid()).encode()
        for f in procs_files:
            fd = os.open(f, os.O_WRONLY)
            try:
                os.write(fd, pid)
            finally:
                os.close(fd)

    def pids(self) -> list[int]:
        try:
            text = (self.dirs[-1] / "cgroup.procs").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def kill_all(self, wait_s: float = 2.0) -> None:
        """SIGKILL every process in the group (repeatedly: a fork may race the first pass)."""
        if self.version == "v2":
            try:
                (self.dirs[0] / "cgroup.kill").write_text("1")
            except OSError:
                pass
        deadline = time.monotonic() + wait_s
        while True:
            pids = self.pids()
            if not pids or time.monotonic() > deadline:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.01)

    def memory_exceeded(self) -> bool:
        """True when the kernel's OOM killer acted in this group (the job hit its memory limit)."""
        name = "memory.oom_control" if self.version == "v1" else "memory.events"
        try:
            text = (self.dirs[0] / name).read_text()
        except OSError:
            return False
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value) > 0
        return False

    def remove(self) -> None:
        self.kill_all()
        for d in self.dirs:
            for _ in range(50):  # exiting processes leave the group a moment after SIGKILL
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
