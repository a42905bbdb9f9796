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
import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from seccodegen.judge.prefix_headers import content_key, source_prefix

STD = {"c": ("-x", "c", "-std=gnu11"), "cpp": ("-x", "c++", "-std=gnu++17")}
SHARED_PCH_ENV = "SECCODEGEN_DATAFLOW_PCH_SHARED"  # folder of precompiled headers to use (read-only)
OUT_PCH_ENV = "SECCODEGEN_DATAFLOW_PCH_OUT"  # folder where this process writes those it builds


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


def clang_args(language: str, flags: Sequence[str] = ()) -> list[str]:
    """libclang's command line for a ``language`` file compiled with the judge's ``flags`` (link,
    optimisation and debug flags dropped; warnings off; no limit on errors)."""
    args = [*STD[language]]
    inc = builtin_include_dir()
    if inc:
        args += ["-isystem", inc]
    args += [f for f in flags if not f.startswith(("-l", "-L", "-Wl,", "-O", "-g"))]
    return [*args, "-w", "-ferror-limit=0"]


def parse(path: str | Path, language: str, flags: Sequence[str] = ()):
    """The ``clang.cindex.TranslationUnit`` of ``path`` (``language`` "c" or "cpp").

    ``flags`` are the judge's compile flags (``-I``/``-D``/``-std``...); link flags are dropped.
    The file's leading system ``#include <...>`` block is parsed once into a precompiled header
    shared by every file with the same block and flags (``<iostream>`` alone costs ~1 s to parse).
    """
    args = clang_args(language, flags)
    pch = _precompiled_prefix(Path(path), language, args)
    if pch is not None:
        tu = _index().parse(str(path), args=[*args, "-include-pch", str(pch)])
        if not any("PCH" in d.spelling or "precompiled" in d.spelling for d in tu.diagnostics):
            return tu
    return _index().parse(str(path), args=args)


def prefix_header_name(prefix: str, language: str, args: Sequence[str]) -> str:
    """The file name of the header that holds the opening block ``prefix`` (its precompiled
    header has the suffix ``.pch`` instead): a content key of the block, the libclang version and
    the command line ``args``."""
    return f"{content_key(version(), prefix, *args)}.{'h' if language == 'c' else 'hpp'}"


def _precompiled_prefix(path: Path, language: str, args: list[str]) -> Path | None:
    """A precompiled header of ``path``'s leading include block, or None when there is no block or
    it cannot be built.

    Looked for in the folder that :data:`SHARED_PCH_ENV` names (read-only: the judge run's,
    shared by its batches), else in :data:`OUT_PCH_ENV`'s folder (default: one in the temp
    folder), where it is built on first use. A header the shared folder already holds is built
    from there, so that the judge can move the result beside it for the batches that follow (a
    precompiled header is valid only where the header it was built from still is)."""
    prefix = source_prefix(path)
    if not prefix:
        return None
    name = prefix_header_name(prefix, language, args)
    shared = Path(os.environ[SHARED_PCH_ENV]) if os.environ.get(SHARED_PCH_ENV) else None
    if shared is not None and (shared / name).with_suffix(".pch").is_file():
        return (shared / name).with_suffix(".pch")
    default = Path(tempfile.gettempdir()) / f"seccodegen-dataflow-pch-{os.getuid()}"
    folder = Path(os.environ[OUT_PCH_ENV]) if os.environ.get(OUT_PCH_ENV) else default
    pch = (folder / name).with_suffix(".pch")
    if pch.is_file():
        return pch
    import clang.cindex as ci

    folder.mkdir(parents=True, exist_ok=True)
    header = shared / name if shared is not None and (shared / name).is_file() else folder / name
    if not header.is_file():
        header.write_text(prefix, encoding="utf-8")
    hargs = ["-x", "c-header" if language == "c" else "c++-header", *args[2:]]
    try:
        tu = _index().parse(str(header), args=hargs, options=ci.TranslationUnit.PARSE_INCOMPLETE)
        if any(d.severity >= ci.Diagnostic.Error for d in tu.diagnostics):
            return None
        tmp = folder / f"{pch.stem}.{os.getpid()}.tmp"
        tu.save(str(tmp))
        os.replace(tmp, pch)  # atomic: parallel batches never read a half-written file
    except Exception:  # TranslationUnitSaveError, LibclangError: parse without it
        return None
    return pch


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
