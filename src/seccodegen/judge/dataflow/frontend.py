"""clang front end for the dataflow core: parse a C/C++ file with libclang, tolerate missing headers.

libclang (the ``libclang`` PyPI wheel) ships the parser but not clang's own builtin headers
(``stddef.h``, ``stdarg.h``...), without which ``<stdio.h>`` stops at a fatal error. gcc's
builtin header folder (``gcc -print-file-name=include``) is plain C and serves instead. A
project header that does not exist (a sample's ``#include "util.h"``) is a fatal error too, but
clang keeps building the AST of the rest of the file; undeclared calls become implicit
declarations in C. C++ code whose types come from a missing header loses those statements.
"""

from __future__ import annotations

import atexit
import functools
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

STD = {"c": ("-x", "c", "-std=gnu11"), "cpp": ("-x", "c++", "-std=gnu++17")}


@functools.cache
def _index():
    import clang.cindex as ci

    # drop the index before interpreter shutdown unloads cindex (its __del__ needs the library)
    atexit.register(_index.cache_clear)
    return ci.Index.create()


@functools.cache
def builtin_include_dir() -> str | None:
    """gcc's folder of compiler builtin headers (stddef.h, stdarg.h, ...), or None without gcc."""
    try:
        out = subprocess.run(
            ["gcc", "-print-file-name=include"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    path = out.stdout.strip()
    return path if path and Path(path, "stddef.h").is_file() else None


def available() -> bool:
    """True when the libclang wheel imports and loads its shared library."""
    try:
        _index()
    except Exception:  # ImportError, or clang.cindex.LibclangError when the .so does not load
        return False
    return True


def version() -> str:
    """The libclang wheel's version, e.g. ``libclang 18.1.1``."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return f"libclang {dist_version('libclang')}"
    except PackageNotFoundError:
        return "libclang unknown"


def parse(path: str | Path, language: str, flags: Sequence[str] = ()):
    """The ``clang.cindex.TranslationUnit`` of ``path`` (``language`` "c" or "cpp").

    ``flags`` are the judge's compile flags (``-I``/``-D``/``-std``...); link flags are dropped.
    """
    args = [*STD[language]]
    inc = builtin_include_dir()
    if inc:
        args += ["-isystem", inc]
    args += [f for f in flags if not f.startswith(("-l", "-L", "-Wl,", "-O", "-g"))]
    args += ["-w", "-ferror-limit=0"]
    return _index().parse(str(path), args=args)


def main_file_functions(tu) -> Iterator:
    """Every function (and C++ method) *definition* in the parsed file itself, in source order."""
    import clang.cindex as ci

    kinds = {
        ci.CursorKind.FUNCTION_DECL,
        ci.CursorKind.CXX_METHOD,
        ci.CursorKind.CONSTRUCTOR,
        ci.CursorKind.DESTRUCTOR,
        ci.CursorKind.FUNCTION_TEMPLATE,
    }
    main = tu.spelling
    stack = [c for c in tu.cursor.get_children()][::-1]
    while stack:
        c = stack.pop()
        loc = c.location
        if loc.file is None or loc.file.name != main:
            continue
        if c.kind in kinds and c.is_definition():
            yield c
        elif c.kind in (ci.CursorKind.NAMESPACE, ci.CursorKind.CLASS_DECL, ci.CursorKind.STRUCT_DECL,
                        ci.CursorKind.LINKAGE_SPEC, ci.CursorKind.UNEXPOSED_DECL, ci.CursorKind.CLASS_TEMPLATE):
            stack.extend(list(c.get_children())[::-1])
