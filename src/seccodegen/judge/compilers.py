"""Validity: does the sample compile? One registered compiler per language, first error recorded.

C/C++ are compiled *and linked* (a call to an undefined function makes a sample invalid), with
the scenario's flags and libs, exactly as docs/scenarios.md says tests build them. Python is
``compile()``d in-process (nothing runs); Java is ``javac``'d in the sample's own directory.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seccodegen.judge.analyzers.base import tool_version
from seccodegen.registry import Registry
from seccodegen.sandbox import COMPILER_MEMORY_MB, run_tool_sandboxed


@dataclass(frozen=True)
class Validity:
    valid: bool
    compile_error: str | None  # the compiler's first error line; None when valid or not checked
    status: str  # "ok" | "missing" | "timeout" | "error: ..."


def first_error(log: str) -> str:
    """The first line that reports an error (else the first non-empty line), at most 500 chars."""
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    for ln in lines:
        if "error" in ln.lower():
            return ln[:500]
    return (lines[0] if lines else "compiler failed with no output")[:500]


class Compiler:
    name = ""
    language = ""

    def version(self) -> str:
        raise NotImplementedError

    def check(self, source: Path, flags: Sequence[str], libs: Sequence[str], timeout: float) -> Validity:
        raise NotImplementedError


def _run(argv: list[str], source: Path, timeout: float) -> Validity:
    """Compile in the sandbox (seccodegen.sandbox): it sees ``source`` read-only and a scratch cwd."""
    if shutil.which(argv[0]) is None:
        return Validity(False, None, "missing")
    proc = run_tool_sandboxed(argv, timeout, ro_paths=[source.resolve()], total_memory_mb=COMPILER_MEMORY_MB)
    if proc.timed_out:
        return Validity(False, f"compiler timed out after {timeout:.0f} s", "timeout")
    if proc.returncode != 0:
        return Validity(False, first_error(proc.stderr + proc.stdout), "ok")
    return Validity(True, None, "ok")


COMPILERS: Registry[Compiler] = Registry("compiler")


class _Gnu(Compiler):
    default_flags: tuple[str, ...] = ()

    def version(self) -> str:
        return tool_version((self.name, "--version"))

    def check(self, source: Path, flags: Sequence[str], libs: Sequence[str], timeout: float) -> Validity:
        argv = [self.name, *self.default_flags, "-fdiagnostics-plain-output", *flags,
                str(source.resolve()), "-o", "prog", *libs, "-lm"]  # fmt: skip
        return _run(argv, source, timeout)


@COMPILERS.register("gcc")
class Gcc(_Gnu):
    name = "gcc"
    language = "c"
    default_flags = ("-std=c11", "-O0")


@COMPILERS.register("g++")
class Gxx(_Gnu):
    name = "g++"
    language = "cpp"
    default_flags = ("-std=c++17", "-O0")


@COMPILERS.register("python")
class PythonSyntax(Compiler):
    name = "python"
    language = "python"

    def version(self) -> str:
        import sys

        return f"python {sys.version.split()[0]} compile()"

    def check(self, source: Path, flags: Sequence[str], libs: Sequence[str], timeout: float) -> Validity:
        try:
            compile(source.read_text(encoding="utf-8"), source.name, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:  # ValueError: NUL bytes
            line = getattr(exc, "lineno", None)
            return Validity(
                False, f"{source.name}:{line}: {type(exc).__name__}: {getattr(exc, 'msg', exc)}", "ok"
            )
        return Validity(True, None, "ok")


@COMPILERS.register("javac")
class Javac(Compiler):
    name = "javac"
    language = "java"

    def version(self) -> str:
        return tool_version(("javac", "-version"))

    def check(self, source: Path, flags: Sequence[str], libs: Sequence[str], timeout: float) -> Validity:
        argv = ["javac", "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-encoding", "UTF-8",
                "-nowarn", *flags, "-d", ".", str(source.resolve())]  # fmt: skip
        return _run(argv, source, timeout)


COMPILER_FOR_LANGUAGE = {"c": "gcc", "cpp": "g++", "python": "python", "java": "javac"}


def get_compiler(language: str) -> Compiler:
    """An instance of the compiler that decides validity for ``language``."""
    return COMPILERS.get(COMPILER_FOR_LANGUAGE[language])()
