"""Describe the machine a benchmark ran on (printed by every benchmark beside its command)."""

from __future__ import annotations

import contextlib
import os
import platform
import shlex
import sys
import threading
from collections.abc import Iterator


def describe_machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        mem = f", {pages * size / 2**30:.0f} GiB RAM"
    except (ValueError, OSError):
        pass
    gpu = ""
    try:
        import torch

        if torch.cuda.is_available():
            gpu = f", GPU: {torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}"
    except ImportError:
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}{gpu}, Python {platform.python_version()}"


def header() -> str:
    return f"command: {' '.join(shlex.quote(a) for a in [sys.executable.split('/')[-1], *sys.argv])}\nmachine: {describe_machine()}"


class ToolCpuMeter:
    """CPU seconds used by this process and all its descendants, sandboxed tools included.

    The sandbox runs every compiler and analyzer in new namespaces, so their CPU time never
    reaches this process's ``getrusage``. A cgroup v1 ``cpuacct`` group does see it: this process
    moves into a group of its own (children inherit it; the sandbox only adds memory and pids
    groups) and reads its ``cpuacct.usage``. ``seconds()`` is None where no such group can be
    made (cgroup v2 only, or no permission). CPU time depends far less on other processes' load
    than wall time does, which makes it the figure to compare runs on a shared machine by.
    """

    ROOT = "/sys/fs/cgroup/cpuacct"

    def __enter__(self) -> ToolCpuMeter:
        self.group: str | None = None
        self.parts: dict[str, str] = {}
        self.lock = threading.Lock()
        try:
            group = os.path.join(self.ROOT, f"seccodegen-bench-{os.getpid()}")
            os.mkdir(group)
            _write(os.path.join(group, "cgroup.procs"), os.getpid())
            self.group = group
            self.start = self._usage_ns()
        except OSError:
            self.group = None
        return self

    def _usage_ns(self, group: str | None = None) -> int:
        with open(os.path.join(group or self.group, "cpuacct.usage")) as fh:
            return int(fh.read())

    def seconds(self, part: str = "") -> float | None:
        """CPU seconds since the start, all of it or the ``part`` that :meth:`charged_to` named."""
        if self.group is None:
            return None
        if part:
            return self._usage_ns(self.parts.get(part)) / 1e9 if part in self.parts else 0.0
        return (self._usage_ns() - self.start) / 1e9

    @contextlib.contextmanager
    def charged_to(self, part: str) -> Iterator[None]:
        """Count the CPU time of the calling thread and of the processes it starts meanwhile as
        ``part`` (a group inside this one: cgroup v1 moves single threads)."""
        if self.group is None:
            yield
            return
        with self.lock:
            if part not in self.parts:
                os.mkdir(os.path.join(self.group, part))
                self.parts[part] = os.path.join(self.group, part)
        _write(os.path.join(self.parts[part], "tasks"), threading.get_native_id())
        try:
            yield
        finally:
            _write(os.path.join(self.group, "tasks"), threading.get_native_id())

    def __exit__(self, *exc: object) -> None:
        if self.group is None:
            return
        try:
            _write(os.path.join(self.ROOT, "cgroup.procs"), os.getpid())
            for part in self.parts.values():
                os.rmdir(part)
            os.rmdir(self.group)
        except OSError:
            pass


def _write(path: str, number: int) -> None:
    with open(path, "w") as fh:
        fh.write(str(number))
