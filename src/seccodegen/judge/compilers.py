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
import math
import re
import secrets
import shlex
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seccodegen.judge.analyzers.base import tool_version
from seccodegen.judge.prefix_headers import PrefixHeaders
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
        self, source: Path, flags: Sequence[str], libs: Sequence[str], timeout: float, external: bool = False,
        prefix_headers: PrefixHeaders | None = None,
    ) -> Validity:
        """Compile ``source``; ``external``: a record without a scenario (GNU dialect for C/C++);
        ``prefix_headers``: the run's precompiled opening blocks (C/C++; others ignore them)."""
        raise NotImplementedError

    def check_many(
        self, sources: Sequence[Path], flags: Sequence[str], libs: Sequence[str], timeout: float,
        external: bool = False, prefix_headers: PrefixHeaders | None = None,
    ) -> list[Validity]:
        """:meth:`check` of every source, in order (compilers that can share one job override it)."""
        return [self.check(s, flags, libs, timeout, external, prefix_headers) for s in sources]


# printed between the compile's and the link's diagnostics; random, so that no sample can print it
# (an `#error` naming a fixed mark made a program that does not compile look valid)
_LINK_MARK = f"@@seccodegen-link-{secrets.token_hex(8)}@@"


def _run(
    argv: list[str], source: Path, timeout: float, tool: str | None = None, inputs: Sequence[str] = (),
    shown_dirs: Sequence[Path] = (),
) -> Validity:
    """Compile in the sandbox (seccodegen.sandbox): it sees ``source`` read-only, the include dirs
    and library files that ``inputs`` (the caller's flags and libs: ``-I/dir``, ``/path/io.c``)
    name, ``shown_dirs`` (a precompiled header's folder), and a scratch cwd. ``tool``: ``argv`` is
    a compile-then-link shell job around this compiler (see ``_Gnu.check``)."""
    if shutil.which(tool or argv[0]) is None:
        return Validity(False, None, "missing")
    shown = [source.resolve(), *input_paths(inputs), *shown_dirs]
    proc = run_tool_sandboxed(argv, timeout, ro_paths=shown, total_memory_mb=COMPILER_MEMORY_MB)
    if proc.timed_out:
        return Validity(False, f"compiler timed out after {timeout:.0f} s", "timeout")
    output = proc.stderr + proc.stdout
    if tool is None:  # one compiler call: valid when it exits 0
        return Validity(proc.returncode == 0, None if proc.returncode == 0 else first_error(output), "ok")
    return _compile_and_link_validity(proc.returncode, output)


def _compile_and_link_validity(returncode: int | None, output: str) -> Validity:
    """What a compile-then-link job (``_Gnu``) that exited ``returncode`` and printed ``output`` says."""
    if _LINK_MARK not in output:  # compile + link job that stopped at the compile (exit 10)
        return Validity(False, first_error(output), "ok")
    link_output = output.split(_LINK_MARK, 1)[1]
    linked = returncode == 0
    return Validity(True, None, "ok", links=linked, link_error=None if linked else first_error(link_output))


COMPILERS: Registry[Compiler] = Registry("compiler")


class _Gnu(Compiler):
    default_flags: tuple[str, ...] = ()  # scenario programs (as seccodegen.scenarios.toolchains builds them)
    external_flags: tuple[str, ...] = ()  # records without a scenario

    def version(self) -> str:
        return tool_version((self.name, "--version"))

    def _job(
        self, source: Path, flags: Sequence[str], libs: Sequence[str], external: bool,
        prefix_headers: PrefixHeaders | None,
    ) -> tuple[list[str], list[Path]]:
        """The compile-then-link command for ``source`` (exit 10: it did not compile) and the
        folders it reads besides the source and the flags' paths (a precompiled header's)."""
        std = self.external_flags if external else self.default_flags
        options = [self.name, *std, "-fdiagnostics-plain-output", *flags]
        header = prefix_headers.gcc_header(options, self.language, source) if prefix_headers else None
        pre = ["-include", str(header)] if header else []
        compile_argv = [*options, *pre, "-c", str(source.resolve()), "-o", "prog.o"]
        link = shlex.join([self.name, "prog.o", "-o", "prog", *libs, "-lm"])
        script = f'"$@" 2>&1 || exit 10; echo {_LINK_MARK}; exec {link} 2>&1'
        return ["sh", "-c", script, "sh", *compile_argv], [header.parent] if header else []

    def check(
        self, source: Path, flags: Sequence[str], libs: Sequence[str], timeout: float, external: bool = False,
        prefix_headers: PrefixHeaders | None = None,
    ) -> Validity:
        # one sandboxed job compiles, then links the object it made
        argv, dirs = self._job(source, flags, libs, external, prefix_headers)
        return _run(argv, source, timeout, tool=self.name, inputs=[*flags, *libs], shown_dirs=dirs)

    def check_many(
        self, sources: Sequence[Path], flags: Sequence[str], libs: Sequence[str], timeout: float,
        external: bool = False, prefix_headers: PrefixHeaders | None = None,
    ) -> list[Validity]:
        """:meth:`check` of every source, run one after the other in one sandboxed job (a sandbox
        costs ~70 ms to start, as much as compiling a small C program), each with ``timeout``
        seconds. A program whose run in the shared job ended unusually (its time ran out; the job
        ran out of memory or output) is checked again in a job of its own, as :meth:`check` does."""
        if len(sources) < 2 or shutil.which(self.name) is None:
            return super().check_many(sources, flags, libs, timeout, external, prefix_headers)
        mark = f"@@seccodegen-program-{secrets.token_hex(8)}@@"  # a sample cannot print it
        steps, shown = [], [*input_paths([*flags, *libs])]
        for i, source in enumerate(sources):
            argv, dirs = self._job(source, flags, libs, external, prefix_headers)
            shown += [source.resolve(), *dirs]
            # the newline before the status line is the job's own: the program's output is what is between
            steps.append(f"echo {mark} {i}; timeout -s KILL {math.ceil(timeout)} {shlex.join(argv)}; "
                         f"printf '\\n{mark} status %d\\n' $?; rm -f prog.o prog")  # fmt: skip
        proc = run_tool_sandboxed(["sh", "-c", "\n".join(steps)], timeout * len(sources), ro_paths=shown,
                                  total_memory_mb=COMPILER_MEMORY_MB)  # fmt: skip
        found: dict[int, Validity] = {}
        if not (proc.timed_out or proc.memory_exceeded or proc.output_exceeded or proc.stderr):
            for m in re.finditer(rf"^{mark} (\d+)\n(.*?)\n{mark} status (\d+)$", proc.stdout, re.M | re.S):
                i, output, status = int(m.group(1)), m.group(2), int(m.group(3))
                if status in (0, 10) or (status < 124 and _LINK_MARK in output):  # 124+: killed
                    found[i] = _compile_and_link_validity(status, output)
        return [found.get(i) or self.check(s, flags, libs, timeout, external, prefix_headers)
                for i, s in enumerate(sources)]  # fmt: skip


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
        self, source: Path, flags: Sequence[str], libs: Sequence[str], timeout: float, external: bool = False,
        prefix_headers: PrefixHeaders | None = None,
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
        self, source: Path, flags: Sequence[str], libs: Sequence[str], timeout: float, external: bool = False,
        prefix_headers: PrefixHeaders | None = None,
    ) -> Validity:
        argv = ["javac", "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-encoding", "UTF-8",
                "-nowarn", *flags, "-d", ".", str(source.resolve())]  # fmt: skip
        v = _run(argv, source, timeout)
        return dataclasses.replace(v, links=True) if v.valid else v  # nothing to link: class files


COMPILER_FOR_LANGUAGE = {"c": "gcc", "cpp": "g++", "python": "python", "java": "javac"}


def get_compiler(language: str) -> Compiler:
    """An instance of the compiler that decides validity for ``language``."""
    return COMPILERS.get(COMPILER_FOR_LANGUAGE[language])()
