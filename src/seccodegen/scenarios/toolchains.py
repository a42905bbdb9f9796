"""Per-language toolchains: how a scenario program is compiled and how it is run.

One registered :class:`Toolchain` per language (``TOOLCHAINS.get(scenario.language)``).
Compilation runs the compiler directly (it does not execute the program) with a timeout;
running the program is left to :mod:`seccodegen.scenarios.testing`, which uses the sandbox.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from seccodegen.registry import Registry
from seccodegen.scenarios.model import CompileSettings

COMPILE_TIMEOUT_S = 60.0  # seconds per compiler call; generous because checks run in parallel on 2 cores
# The sandbox caps address space (RLIMIT_AS); the JVM reserves far more virtual memory than it uses
# unless its heap and code caches are bounded, and serial GC avoids spawning a thread per core.
JAVA_RUN_FLAGS = (
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:CICompilerCount=1",
    "-XX:ReservedCodeCacheSize=32m",
    "-XX:CompressedClassSpaceSize=64m",
)
JAVAC_FLAGS = ("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-encoding", "UTF-8", "-nowarn")
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"  # the PATH seccodegen.sandbox gives programs


@dataclass(frozen=True)
class CompileResult:
    ok: bool
    error: str | None  # the compiler's first error line (None when ok)
    log: str  # full compiler output (stderr + stdout), trimmed
    run_argv: tuple[str, ...]  # argv that runs the program (absolute paths); empty when not ok
    seconds: float  # wall-clock seconds spent compiling


# What a line that says what is wrong contains: a compiler error, a Java exception, or one of the
# linker's own messages (they do not contain "error": "undefined reference to `foo'").
_ERROR_WORDS = ("error", "exception", "undefined reference", "multiple definition", "cannot find -l")


def first_error_line(log: str) -> str:
    """The first line that says what is wrong (else the first non-empty line), at most 500 chars.

    The driver's summary ``collect2: error: ld returned 1 exit status`` is skipped: the linker's
    line before it names the undefined symbol.
    """
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("collect2:")] or lines
    for line in lines:
        low = line.lower()
        if any(word in low for word in _ERROR_WORDS):
            return line[:500]
    return (lines[0] if lines else "compiler failed with no output")[:500]


def _run_compiler(argv: list[str], cwd: Path, run_argv: tuple[str, ...]) -> CompileResult:
    start = time.monotonic()
    try:
        proc = subprocess.run(
            argv,
            check=False,
            cwd=cwd,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=COMPILE_TIMEOUT_S,
        )
    except FileNotFoundError:
        return CompileResult(False, f"compiler not found: {argv[0]}", "", (), time.monotonic() - start)
    except subprocess.TimeoutExpired:
        msg = f"compiler timed out after {COMPILE_TIMEOUT_S:.0f} s"
        return CompileResult(False, msg, msg, (), time.monotonic() - start)
    log = (proc.stderr + proc.stdout)[-20000:]
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        return CompileResult(False, first_error_line(log), log, (), seconds)
    return CompileResult(True, None, log, run_argv, seconds)


class Toolchain:
    """Compile ``source`` (already written in ``build_dir``) and say how to run the result."""

    language: str = ""

    def compile(self, source: Path, build_dir: Path, settings: CompileSettings) -> CompileResult:
        raise NotImplementedError


TOOLCHAINS: Registry[Toolchain] = Registry("language toolchain")


class _GnuToolchain(Toolchain):
    compiler = ""
    default_flags: tuple[str, ...] = ()
    default_libs: tuple[str, ...] = ()

    def compile(self, source: Path, build_dir: Path, settings: CompileSettings) -> CompileResult:
        exe = build_dir / "prog"
        argv = [
            self.compiler, *self.default_flags, *settings.flags, source.name, "-o", exe.name,
            *self.default_libs, *settings.libs,
        ]  # fmt: skip
        return _run_compiler(argv, build_dir, (str(exe),))


class CToolchain(_GnuToolchain):
    language = "c"
    compiler = "gcc"
    default_flags = ("-std=c11", "-O0", "-fdiagnostics-plain-output")
    default_libs = ("-lm",)


class CppToolchain(_GnuToolchain):
    language = "cpp"
    compiler = "g++"
    default_flags = ("-std=c++17", "-O0", "-fdiagnostics-plain-output")
    default_libs = ("-lm",)


class PythonToolchain(Toolchain):
    """ "Compiling" Python is a syntax check (``compile()``); nothing is executed."""

    language = "python"

    def compile(self, source: Path, build_dir: Path, settings: CompileSettings) -> CompileResult:
        start = time.monotonic()
        interpreter = shutil.which("python3", path=SANDBOX_PATH) or sys.executable
        try:
            compile(source.read_text(encoding="utf-8"), source.name, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:  # ValueError: null bytes in source
            line = getattr(exc, "lineno", None)
            msg = f"{source.name}:{line}: {type(exc).__name__}: {getattr(exc, 'msg', None) or exc}"
            return CompileResult(False, msg, msg, (), time.monotonic() - start)
        return CompileResult(True, None, "", (interpreter, str(source)), time.monotonic() - start)


class JavaToolchain(Toolchain):
    """``javac`` with ``compile.flags``; ``compile.libs`` is unused (standard library only)."""

    language = "java"

    def compile(self, source: Path, build_dir: Path, settings: CompileSettings) -> CompileResult:
        main_class = source.stem
        argv = ["javac", *JAVAC_FLAGS, *settings.flags, "-d", str(build_dir), source.name]
        run_argv = ("java", *JAVA_RUN_FLAGS, "-cp", str(build_dir), main_class)
        return _run_compiler(argv, build_dir, run_argv)


for _toolchain in (CToolchain(), CppToolchain(), PythonToolchain(), JavaToolchain()):
    TOOLCHAINS.register(_toolchain.language, _toolchain)
