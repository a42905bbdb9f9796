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
