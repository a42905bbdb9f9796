"""Compile a scenario program and run its functional tests in the sandbox.

Running tests EXECUTES the program, which is usually model-generated code: callers must have the
user's explicit consent first (``--allow-exec``; see :func:`seccodegen.sandbox.require_exec_allowed`).
Compiling alone (:func:`compile_program`) does not execute it.
"""

from __future__ import annotations

import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path

from seccodegen.sandbox import SandboxLimits, SandboxResult, input_paths, run_sandboxed
from seccodegen.scenarios.model import Scenario, ScenarioTest
from seccodegen.scenarios.toolchains import TOOLCHAINS, CompileResult

# Per test run: scenario programs are tiny, so a few CPU seconds is plenty; the wall limit is
# larger because checks run in parallel on a small machine.
TEST_LIMITS = SandboxLimits(cpu_seconds=5, wall_seconds=20.0, memory_mb=1024, file_size_mb=16)
# A JVM starts ~15-20 threads and the job's process cap (cgroup pids.max) counts threads, so
# java runs get more headroom (the limit is still finite, against fork bombs).
JAVA_TEST_LIMITS = SandboxLimits(
    cpu_seconds=5, wall_seconds=20.0, memory_mb=1024, file_size_mb=16, max_processes=512
)


def default_test_limits(language: str) -> SandboxLimits:
    return JAVA_TEST_LIMITS if language == "java" else TEST_LIMITS


_SHOWN_CHARS = 300  # how much of stdout/stderr a failure reason quotes


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest class

    name: str
    passed: bool
    reason: str  # "ok", or the first expectation that failed
    returncode: int | None  # None on timeout
    stdout: str
    stderr: str
    timed_out: bool = False
    network_isolated: bool = False  # the run had no network; see seccodegen.sandbox


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False

    passed: bool  # compiled and every test passed
    n_passed: int
    n_total: int
    results: tuple[TestResult, ...]
    compile_error: str | None  # the compiler's first error; None when it compiled

    @property
    def compiled(self) -> bool:
        return self.compile_error is None

    def failure_summary(self) -> str:
        """One line: why it failed ('' when it passed)."""
        if self.compile_error is not None:
            return f"compile error: {self.compile_error}"
        failed = [r for r in self.results if not r.passed]
        return "; ".join(f"{r.name}: {r.reason}" for r in failed)


def compile_program(scenario: Scenario, program_code: str, build_dir: str | Path) -> CompileResult:
    """Write ``program_code`` to ``build_dir/<source_name>`` and compile it (does not run it)."""
    build = Path(build_dir)
    build.mkdir(parents=True, exist_ok=True)
    source = build / scenario.source_name
    source.write_text(program_code, encoding="utf-8")
    return TOOLCHAINS.get(scenario.language).compile(source, build, scenario.compile)


def check_compiles(scenario: Scenario, program_code: str) -> str | None:
    """Compile in a throw-away dir; the compiler's first error, or None when it compiles."""
    with tempfile.TemporaryDirectory(prefix="seccodegen-build-") as tmp:
        return compile_program(scenario, program_code, tmp).error


def _quote(text: str) -> str:
    text = text.strip()
    return repr(text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "...")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _check_expectations(test: ScenarioTest, result: SandboxResult, run_dir: Path) -> str | None:
    """The first unmet expectation as a short reason, or None when all hold."""
    if result.timed_out:
        return "timed out"
    if result.error is not None:
        return result.error
    if result.returncode is not None and result.returncode < 0 and test.expect_exit != result.returncode:
        return f"killed by signal {_signal_name(-result.returncode)} (output: {_quote(result.stderr or result.stdout)})"
    if test.expect_exit is not None and result.returncode != test.expect_exit:
        output = result.stderr if result.stderr.strip() else result.stdout
        return f"exit code {result.returncode}, expected {test.expect_exit} (output: {_quote(output)})"
    if test.expect_stdout is not None and result.stdout.rstrip("\n") != test.expect_stdout.rstrip("\n"):
        return f"stdout {_quote(result.stdout)}, expected {_quote(test.expect_stdout)}"
    for needle in test.expect_stdout_contains:
        if needle not in result.stdout:
            return f"stdout lacks {needle!r} (stdout: {_quote(result.stdout)})"
    for needle in test.expect_stdout_not_contains:
        if needle in result.stdout:
            return f"stdout contains forbidden {needle!r}"
    for rel, expected in test.expect_files:
        path = run_dir / rel
        if not path.is_file():
            return f"expected file {rel!r} does not exist"
        actual = path.read_text(encoding="utf-8", errors="replace")
        if actual != expected:
            return f"file {rel!r} is {_quote(actual)}, expected {_quote(expected)}"
    for rel in test.expect_files_absent:
        if (run_dir / rel).exists():
            return f"file {rel!r} exists but must not"
    return None


def run_one_test(
    test: ScenarioTest, run_argv: tuple[str, ...], run_dir: Path, limits: SandboxLimits
) -> TestResult:
    """Create the test's files in ``run_dir`` (fresh), run the program there, check expectations."""
    run_dir.mkdir(parents=True, exist_ok=True)
    for rel, content in test.files:
        path = run_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    argv = [*run_argv, *test.args]
    result = run_sandboxed(argv, workdir=run_dir, limits=limits, stdin=test.stdin, ro_paths=input_paths(run_argv))
    reason = _check_expectations(test, result, run_dir)
    return TestResult(
        name=test.name,
        passed=reason is None,
        reason=reason or "ok",
        returncode=result.returncode,
        stdout=result.stdout,
        stderr=result.stderr,
        timed_out=result.timed_out,
        network_isolated=result.network_isolated,
    )


def run_scenario_tests(
    scenario: Scenario, program_code: str, limits: SandboxLimits | None = None
) -> TestOutcome:
    """Compile ``program_code`` (the full program) and run every test of ``scenario`` on it.

    Each call uses a fresh temp dir: ``build/`` holds the source and binary, and each test runs in
    its own fresh ``t<i>/`` dir (its ``files`` are created there) under
    :func:`seccodegen.sandbox.run_sandboxed` with ``limits`` (default: :func:`default_test_limits`).

    This EXECUTES ``program_code``. Callers are responsible for the user's ``--allow-exec``
    consent (call ``seccodegen.sandbox.require_exec_allowed(allow_exec)`` before this).
    """
    limits = limits or default_test_limits(scenario.language)
    with tempfile.TemporaryDirectory(prefix="seccodegen-scn-") as tmp:
        root = Path(tmp)
        compiled = compile_program(scenario, program_code, root / "build")
        if not compiled.ok:
            return TestOutcome(False, 0, len(scenario.tests), (), compiled.error or "compile failed")
        results = tuple(
            run_one_test(test, compiled.run_argv, root / f"t{i}", limits)
            for i, test in enumerate(scenario.tests)
        )
    n_passed = sum(r.passed for r in results)
    return TestOutcome(n_passed == len(results), n_passed, len(results), results, None)
