"""Precompiled headers of the system-include block that opens a program, shared within one judge run.

Most of the time a compiler spends on a small C++ program goes into parsing the headers it
includes (``<iostream>``, ``<string>``, ``<vector>``: ~0.25 of the ~0.35 CPU s of a ``g++ -O0
-c``, and of the ~0.4 CPU s of a ``g++ -O2`` with gcc-warnings' flags). The samples of one
scenario open with the same ``#include`` lines (the prompt wrote them), so the judge precompiles
that block once per run and set of tool options, and every compile of a program that opens with
it uses the result (``g++ ... -include BLOCK.hpp`` finds ``BLOCK.hpp.gch`` beside it). The
program's own ``#include`` lines then find their headers already included (system headers have
include guards; ``<assert.h>``, which has none, only defines ``assert`` again the same way), so
the translation unit, the object file and the diagnostics stay those of a plain compile
(``benchmarks/judge_bench.py --dump`` compares every verdict and finding of two runs).

A block is precompiled only where that pays and cannot change what gcc reports:

* for C++ only (C headers parse in a few ms: the precompiled header would cost more to load);
* when at least :data:`GCC_MIN_PROGRAMS` programs of the run open with it: precompiling
  ``<iostream>``-sized blocks costs ~1.1 CPU s per set of tool options (the validity compile's
  and gcc-warnings'), and each program then saves ~0.25 CPU s per compile, so it pays from about
  five programs on;
* when building it prints nothing at all (no warning, no error, e.g. a ``#define`` that the
  compile flags also define): anything gcc has to say about the block must reach the program's
  own diagnostics, so such a block is not precompiled.

Where a precompiled header is missing, or gcc finds it unusable, the compile reads the block
as text: the same translation unit, only slower.

The same class keeps the folder where the dataflow analyzer's libclang precompiled headers are
shared between its batches (:meth:`PrefixHeaders.libclang_folder`).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PRECOMPILED_LANGUAGES = ("cpp",)  # where gcc precompiled headers pay (see the module docstring)
GCC_MIN_PROGRAMS = 8  # programs of a run that must share a block before gcc precompiles it
HEADER_SUFFIX = {"c": ".h", "cpp": ".hpp"}
HEADER_LANGUAGE = {"c": "c-header", "cpp": "c++-header"}


def leading_includes(code: str) -> str:
    """The file's opening lines up to its last leading ``#include <...>``: comments, blank lines,
    system includes and object-like ``#define`` s (``_GNU_SOURCE``) only; "" when there is none."""
    keep, last = [], 0
    in_comment = False
    for line in code.splitlines():
        s = line.strip()
        if in_comment:
            in_comment = "*/" not in s
        elif s.startswith("/*"):
            in_comment = "*/" not in s
        elif not s or s.startswith("//"):
            pass
        elif re.match(r"#\s*include\s*<[^>]+>\s*(//.*)?$", s):
            last = len(keep) + 1
        elif not re.match(r"#\s*define\s+\w+(\s+[\w\"]+)?\s*$", s):
            break
        keep.append(line)
    return "\n".join(keep[:last]) + "\n" if last else ""


def source_prefix(source: Path) -> str:
    """:func:`leading_includes` of the file ``source`` ("" when it cannot be read)."""
    try:
        return leading_includes(source.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return ""


def content_key(*parts: str) -> str:
    """A short hash naming a precompiled header by everything it was built from."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]


@dataclass
class _Build:
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False
    header: Path | None = None  # None: the block could not be precompiled silently


class PrefixHeaders:
    """The precompiled opening blocks of one judge run's programs, under ``root`` (the run's
    temp folder). Thread-safe: compile and analyzer workers ask for them concurrently."""

    def __init__(self, root: Path, programs: Iterable[tuple[str, str]], timeout_s: float = 60.0) -> None:
        """``programs``: ``(language, code)`` of every distinct program of the run."""
        self.root = Path(root)
        self.timeout_s = timeout_s  # seconds one precompilation may take
        self.counts: Counter[tuple[str, str]] = Counter(
            (language, prefix) for language, code in programs if (prefix := leading_includes(code))
        )
        self._builds: dict[str, _Build] = {}
        self._lock = threading.Lock()

    def shared(self, language: str, prefix: str, at_least: int) -> bool:
        """Do ``at_least`` programs of the run open with ``prefix``?"""
        return bool(prefix) and self.counts[(language, prefix)] >= at_least

    def gcc_header(self, options: Sequence[str], language: str, source: Path) -> Path | None:
        """The header to pass as ``-include`` (its ``.gch`` beside it) when compiling ``source``
        with ``options`` (the gcc/g++ command line without ``-c``, the sources and ``-o``), or
        None: compile it as it is. Built on first use; a worker that finds it being built gets
        None rather than waiting."""
        if language not in PRECOMPILED_LANGUAGES:
            return None
        prefix = source_prefix(source)
        if not self.shared(language, prefix, GCC_MIN_PROGRAMS):
            return None
        key = content_key(*options, prefix)
        with self._lock:
            build = self._builds.setdefault(key, _Build())
        if build.done:
            return build.header
        if not build.lock.acquire(blocking=False):
            return None
        try:
            if not build.done:
                build.header = self._build_gcc(key, options, language, prefix)
                build.done = True
        finally:
            build.lock.release()
        return build.header

    def _build_gcc(self, key: str, options: Sequence[str], language: str, prefix: str) -> Path | None:
        from seccodegen.sandbox import COMPILER_MEMORY_MB, input_paths, run_tool_sandboxed

        folder = self.root / "gcc" / key
        folder.mkdir(parents=True, exist_ok=True)
        header = folder / f"prefix{HEADER_SUFFIX[language]}"
        header.write_text(prefix, encoding="utf-8")
        argv = [*options, "-x", HEADER_LANGUAGE[language], str(header), "-o", f"{header}.gch"]
        # the job works on a copy of ``folder`` and its files are copied back: the .gch appears
        res = run_tool_sandboxed(argv, self.timeout_s, workdir=folder, ro_paths=input_paths(options),
                                 total_memory_mb=COMPILER_MEMORY_MB)  # fmt: skip
        silent = not (res.stdout.strip() or res.stderr.strip())
        if res.returncode != 0 or res.timed_out or res.error or not silent:
            return None
        return header if Path(f"{header}.gch").is_file() else None

    def write_once(self, path: Path, text: str) -> None:
        """Create the file ``path`` with ``text`` unless it exists: a precompiled header built from
        it must never see it rewritten (its time stamp is part of what makes one valid)."""
        with self._lock:
            if not path.exists():
                path.write_text(text, encoding="utf-8")

    def move_once(self, source: Path, target: Path) -> None:
        """Move ``source`` to ``target`` unless ``target`` exists (atomic: readers never see half)."""
        with self._lock:
            if not target.exists():
                os.replace(source, target)

    def libclang_folder(self) -> Path:
        """Where the dataflow analyzer keeps the libclang precompiled headers its batches share."""
        folder = self.root / "libclang"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
