"""Describe the machine a benchmark ran on (printed by every benchmark beside its command)."""

from __future__ import annotations

import os
import platform
import shlex
import sys


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
        self.group = None
        try:
            group = os.path.join(self.ROOT, f"seccodegen-bench-{os.getpid()}")
            os.mkdir(group)
            with open(os.path.join(group, "cgroup.procs"), "w") as fh:
                fh.write(str(os.getpid()))
            self.group = group
            self.start = self._usage_ns()
        except OSError:
            self.group = None
        return self

    def _usage_ns(self) -> int:
        with open(os.path.join(self.group, "cpuacct.usage")) as fh:
            return int(fh.read())

    def seconds(self) -> float | None:
        return None if self.group is None else (self._usage_ns() - self.start) / 1e9

    def __exit__(self, *exc: object) -> None:
        if self.group is None:
            return
        try:
            with open(os.path.join(self.ROOT, "cgroup.procs"), "w") as fh:
                fh.write(str(os.getpid()))
            os.rmdir(self.group)
        except OSError:
            pass
