"""Validity: does the sample compile? One registered compiler per language, first error recorded.

``valid`` follows the study's "compilable": C/C++ compile to an object file (``-c``), so a
function without ``main`` or a call to a function defined in another file is valid. Linking is
a separate fact (``links``), needed only to run tests; it is checked by linking that object with
the scenario's libs. Scenario programs use the scenario's flags on top of the toolchain's
``-std=c11``/``-std=c++17`` (as tests build them); external records use the GNU dialects
(gnu17/gnu++17) so POSIX names such as ``S_IRUSR`` are visible. Python is ``compile()``d
in-process (nothing runs); Java is ``javac``'d in the sample's own directory (javac resolves
every reference, so a Java program that compiles also links).
"""

from __future__ import annotations

import dataclasses
import shlex
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seccodegen.judge.analyzers.base import tool_version
from seccodegen.registry import Registry
from seccodegen.sandbox import COMPILER_MEMORY_MB, input_paths, run_tool_sandboxed


@dataclass(frozen=True)
class Validity:
    valid: bool  # compiles (C/C++: to an object file)
    compile_error: str | None  # the compiler's first error line; None when valid or not checked
    status: str  # "ok" | "missing" | "timeout" | "error: ..."
    links: bool | None = None  # links into a program (None: not checked because it does not compile)
    link_error: str | None = None  # the linker's first line that says what is wrong


def first_error(log: str) -> str:
    """The first line that says what is wrong (an error, an undefined symbol), at most 500 chars.

    ``collect2: error: ld returned 1 exit status`` is only the linker's summary, never the answer.
    """
    from seccodegen.scenarios.toolchains import first_error_line  # one rule for judge and tests

    return first_error_line(log)


class Compiler:
    name = ""
    language = ""

    def version(self) -> str:
        raise NotImplementedError

    def check(
        self, source: Path, flags: Sequence[str], libs: Sequence[str], timeout: float, external: bool = False
    ) -> Validity:
        """Compile ``source``; ``external``: a record without a scenario (GNU dialect for C/C++)."""
        raise NotImplementedError


_LINK_MARK = "@@seccodegen-link@@"  # printed between the compile's and the link's diagnostics


def _run(
    argv: list[str], source: Path, timeout: float, tool: str | None = None, inputs: Sequence[str] = ()
) -> Validity:
    """Compile in the sandbox (seccodegen.sandbox): it sees ``source`` read-only, the include dirs
    and library files that ``inputs`` (the caller's flags and libs: ``-I/dir``, ``/path/io.c``)
    name, and a scratch cwd. ``tool``: ``argv`` is a compile-then-link shell job around this
    compiler (see ``_Gnu.check``)."""
    if shutil.which(tool or argv[0]) is None:
        return Validity(False, None, "missing")
    shown = [source.resolve(), *input_paths(inputs)]
    proc = run_tool_sandboxed(argv, timeout, ro_paths=shown, total_memory_mb=COMPILER_MEMORY_MB)
    if proc.timed_out:
        return Validity(False, f"compiler timed out after {timeout:.0f} s", "timeout")
    output = proc.stderr + proc.stdout
    if tool is None:  # one compiler call: valid when it exits 0
        return Validity(proc.returncode == 0, None if proc.returncode == 0 else first_error(output), "ok")
    if _LINK_MARK not in output:  # compile + link job that stopped at the compile (exit 10)
        return Validity(False, first_error(output), "ok")
    link_output = output.split(_LINK_MARK, 1)[1]
    linked = proc.returncode == 0
    return Validity(True, None, "ok", links=linked, link_error=None if linked else first_error(link_output))


COMPILERS: Registry[Compiler] = Registry("compiler")


class _Gnu(Compiler):
    default_flags: tuple[str, ...] = ()  # scenario programs (as seccodegen.scenarios.toolchains builds them)
    external_flags: tuple[str, ...] = ()  # records without a scenario

    def version(self) -> str:
        return tool_version((self.name, "--version"))

    def check(
        self, source: Path, flags: Sequence[str], libs: Sequence[str], timeout: float, external: bool = False
    ) -> Validity:
        std = self.external_flags if external else self.default_flags
        compile_argv = [self.name, *std, "-fdiagnostics-plain-output", *flags, "-c",
                        str(source.resolve()), "-o", "prog.o"]  # fmt: skip
        link = shlex.join([self.name, "prog.o", "-o", "prog", *libs, "-lm"])
        # one sandboxed job compiles, then links the object it made (exit 10: did not compile)
        script = f'"$@" 2>&1 || exit 10; echo {_LINK_MARK}; exec {link} 2>&1'
        return _run(["sh", "-c", script, "sh", *compile_argv], source, timeout, tool=self.name,
                    inputs=[*flags, *libs])  # fmt: skip


@COMPILERS.register("gcc")
class Gcc(_Gnu):
    name = "gcc"
    language = "c"
    default_flags = ("-std=c11", "-O0")
    external_flags = ("-std=gnu17", "-O0")


@COMPILERS.register("g++")
class Gxx(_Gnu):
    name = "g++"
    language = "cpp"
    default_flags = ("-std=c++17", "-O0")
    external_flags = ("-std=gnu++17", "-O0")


@COMPILERS.register("python")
class PythonSyntax(Compiler):
    name = "python"
    language = "python"

    def version(self) -> str:
        import sys

        return f"python {sys.version.split()[0]} compile()"

    def check(
        self, source: Path, flags: Sequence[str], libs: Sequence[str], timeout: float, external: bool = False
    ) -> Validity:
        try:
            compile(source.read_text(encoding="utf-8"), source.name, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:  # ValueError: NUL bytes
            line = getattr(exc, "lineno", None)
            return Validity(
                False, f"{source.name}:{line}: {type(exc).__name__}: {getattr(exc, 'msg', exc)}", "ok"
            )
        return Validity(True, None, "ok", links=True)


@COMPILERS.register("javac")
class Javac(Compiler):
    name = "javac"
    language = "java"

    def version(self) -> str:
        return tool_version(("javac", "-version"))

    def check(
        self, source: Path, flags: Sequence[str], libs: Sequence[str], timeout: float, external: bool = False
    ) -> Validity:
        argv = ["javac", "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-encoding", "UTF-8",
                "-nowarn", *flags, "-d", ".", str(source.resolve())]  # fmt: skip
        v = _run(argv, source, timeout)
        return dataclasses.replace(v, links=True) if v.valid else v  # nothing to link: class files


COMPILER_FOR_LANGUAGE = {"c": "gcc", "cpp": "g++", "python": "python", "java": "javac"}


def get_compiler(language: str) -> Compiler:
    """An instance of the compiler that decides validity for ``language``."""
    return COMPILERS.get(COMPILER_FOR_LANGUAGE[language])()
