"""Shared helpers for the hostile-sample suite: each attack runs inside the sandbox and is
checked from outside (host files, host processes, the parent's memory)."""

from __future__ import annotations

import os
import uuid

import pytest

from seccodegen.sandbox import bwrap_problem

PYTHON = "/usr/bin/python3"  # the system Python: visible inside the sandbox under the read-only /usr
_problem = bwrap_problem()
needs_bwrap = pytest.mark.skipif(
    _problem is not None, reason=f"bubblewrap sandbox unavailable here: {_problem} (see docs/judge.md)"
)


def py(code: str, *args: str) -> list[str]:
    """argv running ``code`` with the system Python inside the sandbox."""
    return [PYTHON, "-c", code, *args]


@pytest.fixture
def marker() -> str:
    """A unique string to plant (secrets) or to find (leftover processes) from outside."""
    return f"sbxmark{uuid.uuid4().hex}"


def host_processes_with(text: str) -> list[int]:
    """Host pids whose command line contains ``text`` (the test's own process excluded)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    found.append(int(entry.name))
        except OSError:
            continue
    return found
