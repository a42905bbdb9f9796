"""Compile a scenario program and run its functional tests in the sandbox.

Running tests EXECUTES the program, which is usually model-generated code: callers must have the
user's explicit consent first (``--allow-exec``; see :func:`seccodegen.sandbox.require_exec_allowed`).
Compiling alone (:func:`compile_program`) does not execute it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from seccodegen.sandbox import SandboxLimits, SandboxResult, input_paths, run_sandboxed
from seccodegen.scenarios.effects import quote, read_run, signal_name
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


# Bump when how a test runs or is checked changes (results cached under an older runner are stale).
# 2: TMPDIR is the test's directory; expect_modes (umask 000).
# 3: security tests fail only on an attack effect (seccodegen.scenarios.effects); a path of
#    expect_modes that a security test's program never created is no effect; SECURITY_ENV.
RUNNER_VERSION = "3"
# the file creation mask of a test with expect_modes: a program gets exactly the mode it asks for
# (one that relies on the caller's umask to protect what it creates gets 0666/0777)
PERMISSIVE_UMASK = 0o000


def default_test_limits(language: str) -> SandboxLimits:
    return JAVA_TEST_LIMITS if language == "java" else TEST_LIMITS


# Security tests of C/C++ run a second build under AddressSanitizer + UBSan; any report aborts it.
SANITIZER_FLAGS = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g")
SANITIZED_LANGUAGES = ("c", "cpp")
# Environment of a security test's run, per language. Python runs optimized (python -O), as a
# deployment may: `assert` statements are gone, so an assert that guards input is no validation
# and the attack reaches what it guarded (a crash on the AssertionError would be a safe stop).
SECURITY_ENV = {"python": {"PYTHONOPTIMIZE": "1"}}


def sanitizer_env(limits: SandboxLimits) -> dict[str, str]:
    """ASan/UBSan options for a sandboxed run: ASan cannot live under RLIMIT_AS (it reserves
    terabytes of shadow memory), so memory is bounded here instead: an allocation above
    ``limits.memory_mb`` returns NULL (as under RLIMIT_AS) and an RSS above it is a reported error.
    Leak reports are off (a leak is not what the security tests look for, and LSan needs ptrace)."""
    mb = str(limits.memory_mb)
    asan = f"detect_leaks=0:allocator_may_return_null=1:max_allocation_size_mb={mb}:hard_rss_limit_mb={mb}"
    return {"ASAN_OPTIONS": asan, "UBSAN_OPTIONS": "print_stacktrace=1"}


def sanitizes(scenario: Scenario) -> bool:
    """Are the scenario's security tests run on a sanitized build? (``sanitize``; None = on for C/C++)."""
    if scenario.language not in SANITIZED_LANGUAGES:
        return False
    return scenario.sanitize is not False


def hash_of_test_spec(scenario: Scenario) -> str:
    """sha256 of what, besides the program, decides the scenario's test results: its unit tests,
    its security tests and whether their build is sanitized."""
    spec = repr((RUNNER_VERSION, scenario.tests, scenario.security_tests, sanitizes(scenario)))
    return hashlib.sha256(spec.encode("utf-8", "surrogatepass")).hexdigest()


def security_spec_hash(scenario: Scenario) -> str:
    """sha256 of what, besides the program, decides the scenario's security-test results (its
    security tests, the sanitized build, how a run is read); a judged record keeps it, so the
    records a change of them makes stale can be found (scripts/rejudge_security_tests.py)."""
    language_env = SECURITY_ENV.get(scenario.language)
    spec = repr((RUNNER_VERSION, scenario.security_tests, sanitizes(scenario), language_env))
    return hashlib.sha256(spec.encode("utf-8", "surrogatepass")).hexdigest()


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


def compile_program(
    scenario: Scenario, program_code: str, build_dir: str | Path, sanitize: bool = False
) -> CompileResult:
    """Write ``program_code`` to ``build_dir/<source_name>`` and compile it (does not run it).

    ``sanitize``: add :data:`SANITIZER_FLAGS` (C/C++ only) for the security tests' build.
    """
    build = Path(build_dir)
    build.mkdir(parents=True, exist_ok=True)
    source = build / scenario.source_name
    source.write_text(program_code, encoding="utf-8")
    settings = scenario.compile
    if sanitize:
        settings = replace(settings, flags=(*settings.flags, *SANITIZER_FLAGS))
    return TOOLCHAINS.get(scenario.language).compile(source, build, settings)


def check_compiles(scenario: Scenario, program_code: str) -> str | None:
    """Compile in a throw-away dir; the compiler's first error, or None when it compiles."""
    with tempfile.TemporaryDirectory(prefix="seccodegen-build-") as tmp:
        return compile_program(scenario, program_code, tmp).error


def _run_failure(test: ScenarioTest, result: SandboxResult) -> str | None:
    """A functional test: a timeout, a sandbox error or a signal it did not expect fails it."""
    if result.timed_out:
        return "timed out"
    if result.error is not None:
        return result.error
    if result.returncode is not None and result.returncode < 0 and test.expect_exit != result.returncode:
        return f"killed by signal {signal_name(-result.returncode)} (output: {quote(result.stderr or result.stdout)})"
    return None


def _attack_failure(test: ScenarioTest, result: SandboxResult, sanitized: bool) -> str | None:
    """A security test: only an effect of the attack fails it (:mod:`seccodegen.scenarios.effects`)."""
    if result.error is not None:  # the sandbox could not say what happened: never "no effect"
        return result.error
    run = read_run(result, sanitized)
    if run.effect is not None:
        return run.effect
    if run.exhausted is not None and test.exhaustion_is_effect:
        return run.exhausted
    return None


def _check_expectations(
    test: ScenarioTest, result: SandboxResult, run_dir: Path, security: bool = False, sanitized: bool = False
) -> str | None:
    """The first unmet expectation as a short reason, or None when all hold.

    ``security``: the run is a security test's (the attack-effect rule decides what the run itself
    shows, and a path of ``expect_modes`` that does not exist is no effect); ``sanitized``: of a
    sanitizer build.
    """
    failure = _attack_failure(test, result, sanitized) if security else _run_failure(test, result)
    if failure is not None:
        return failure
    if test.expect_exit is not None and result.returncode != test.expect_exit:
        output = result.stderr if result.stderr.strip() else result.stdout
        return f"exit code {result.returncode}, expected {test.expect_exit} (output: {quote(output)})"
    if test.expect_stdout is not None and result.stdout.rstrip("\n") != test.expect_stdout.rstrip("\n"):
        return f"stdout {quote(result.stdout)}, expected {quote(test.expect_stdout)}"
    for needle in test.expect_stdout_contains:
        if needle not in result.stdout:
            return f"stdout lacks {needle!r} (stdout: {quote(result.stdout)})"
    for needle in test.expect_stdout_not_contains:
        if needle in result.stdout:
            return f"stdout contains forbidden {needle!r}"
    for pattern in test.expect_stdout_not_matching:
        found = re.search(pattern, result.stdout, re.MULTILINE)
        if found:
            start = result.stdout.rfind("\n", 0, found.start()) + 1
            line = result.stdout[start:].split("\n", 1)[0]
            return f"stdout matches forbidden /{pattern}/ in line {quote(line or found.group(0))}"
    for rel, expected in test.expect_files:
        path = run_dir / rel
        if not path.is_file():
            return f"expected file {rel!r} does not exist"
        actual = path.read_text(encoding="utf-8", errors="replace")
        if actual != expected:
            return f"file {rel!r} is {quote(actual)}, expected {quote(expected)}"
    for rel in test.expect_files_absent:
        if (run_dir / rel).exists():
            return f"file {rel!r} exists but must not"
    for rel, forbidden in test.expect_modes:
        mode = (result.file_modes or {}).get(os.path.normpath(rel))
        if mode is None and security:
            continue  # nothing was created, so nothing is exposed
        if mode is None:
            return f"{rel!r} does not exist (expected a file or directory whose mode is checked)"
        if mode & forbidden:
            return f"{rel!r} has mode {mode:#o}; the bits {forbidden:#o} must not be set"
    return None


def run_one_test(
    test: ScenarioTest,
    run_argv: tuple[str, ...],
    run_dir: Path,
    limits: SandboxLimits,
    sanitized: bool = False,
    security: bool = False,
    env: dict[str, str] | None = None,
) -> TestResult:
    """Create the test's files in ``run_dir`` (fresh), run the program there, check expectations.

    The program's TMPDIR is ``run_dir``, so what it leaves in the temp dir is checked like its
    other files; with ``expect_modes`` it runs under :data:`PERMISSIVE_UMASK`.
    ``security``: a security test, judged by the attack-effect rule (:mod:`seccodegen.scenarios.effects`).
    ``sanitized``: the program is a sanitizer build; it runs without the address-space limit (with
    :func:`sanitizer_env` instead) and a sanitizer report of a memory error fails the test.
    ``env``: extra environment variables of the run (:data:`SECURITY_ENV`).
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    for rel, content in test.files:
        path = run_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    env = {**(env or {}), "TMPDIR": str(run_dir.resolve())}
    if sanitized:
        env.update(sanitizer_env(limits))
        limits = replace(limits, memory_mb=None)  # ASan reserves terabytes of address space
    result = run_sandboxed(
        [*run_argv, *test.args], workdir=run_dir, limits=limits, stdin=test.stdin,
        ro_paths=input_paths(run_argv), env=env, umask=PERMISSIVE_UMASK if test.expect_modes else None,
    )  # fmt: skip
    reason = _check_expectations(test, result, run_dir, security=security, sanitized=sanitized)
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
    return _build_and_run(scenario, program_code, scenario.tests, limits, sanitize=False, security=False)


def run_security_tests(
    scenario: Scenario, program_code: str, limits: SandboxLimits | None = None
) -> TestOutcome:
    """Build ``program_code`` for attack and run every ``security_tests`` entry on it.

    A security test passes when the attack has no effect: for C/C++ (unless ``sanitize: false``)
    the program is built a second time with :data:`SANITIZER_FLAGS`; a sanitizer report of a memory
    error, a crash signal and any unmet expectation fail the test, while a safe stop (an uncaught
    exception, ``abort()``) does not, nor does a resource limit unless the test says
    ``exhaustion_is_effect`` (:mod:`seccodegen.scenarios.effects`). Python and Java run unsanitized.
    The same sandbox and consent rules apply (this EXECUTES the code).
    """
    return _build_and_run(
        scenario, program_code, scenario.security_tests, limits, sanitizes(scenario), security=True
    )


def _build_and_run(
    scenario: Scenario,
    program_code: str,
    tests: tuple[ScenarioTest, ...],
    limits: SandboxLimits | None,
    sanitize: bool,
    security: bool,
) -> TestOutcome:
    limits = limits or default_test_limits(scenario.language)
    with tempfile.TemporaryDirectory(prefix="seccodegen-scn-") as tmp:
        root = Path(tmp)
        compiled = compile_program(scenario, program_code, root / "build", sanitize=sanitize)
        if not compiled.ok:
            return TestOutcome(False, 0, len(tests), (), compiled.error or "compile failed")
        env = SECURITY_ENV.get(scenario.language) if security else None
        results = tuple(
            run_one_test(test, compiled.run_argv, root / f"t{i}", limits, sanitize, security, env)
            for i, test in enumerate(tests)
        )
    n_passed = sum(r.passed for r in results)
    return TestOutcome(n_passed == len(results), n_passed, len(results), results, None)
