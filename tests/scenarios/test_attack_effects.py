"""The attack-effect rule of security tests (seccodegen.scenarios.effects, docs/scenarios.md):
what a run shows by itself, the security-test defaults, and real runs of each kind of outcome."""

from __future__ import annotations

import dataclasses
import signal

import pytest

from seccodegen.sandbox import SandboxResult
from seccodegen.scenarios.effects import read_run
from seccodegen.scenarios.export import scenario_to_dict
from seccodegen.scenarios.model import load_suite, scenario_from_dict
from seccodegen.scenarios.schema import ScenarioError
from seccodegen.scenarios.testing import TEST_LIMITS, run_scenario_tests, run_security_tests

ASAN_OVERFLOW = "==3==ERROR: AddressSanitizer: stack-buffer-overflow on address 0x7ffd\nWRITE of size 1\n"
ASAN_OOM = (
    "==3==ERROR: AddressSanitizer: allocator is out of memory trying to allocate 0x746a5288000 bytes\n"
    "SUMMARY: AddressSanitizer: out-of-memory asan_new_delete.cpp:95 in operator new(unsigned long)\n"
)
TERMINATE = "terminate called after throwing an instance of 'std::invalid_argument'\n  what():  bad score\n"


def _result(returncode: int | None = 0, stderr: str = "", **flags) -> SandboxResult:
    return SandboxResult(returncode, "", stderr, flags.pop("timed_out", False), 0.1, True, **flags)


@pytest.mark.parametrize(
    ("result", "sanitized", "effect", "exhausted"),
    [
        (
            _result(1, ASAN_OVERFLOW),
            True,
            "sanitizer: ==3==ERROR: AddressSanitizer: stack-buffer-overflow",
            None,
        ),
        (
            _result(1, "main.c:11:13: runtime error: signed integer overflow\n"),
            True,
            "sanitizer: main.c:11:13",
            None,
        ),
        (
            _result(1, ASAN_OOM),
            True,
            None,
            "sanitizer: ==3==ERROR: AddressSanitizer: allocator is out of memory",
        ),
        (_result(1, ASAN_OVERFLOW), False, None, None),  # an unsanitized build's stderr is the program's
        (_result(-signal.SIGSEGV), False, "killed by signal SIGSEGV", None),
        (_result(-signal.SIGFPE), False, "killed by signal SIGFPE", None),
        (_result(-signal.SIGABRT, TERMINATE), True, None, None),  # an uncaught exception: a safe stop
        (_result(-signal.SIGABRT, "main: main.c:9: f: Assertion `n > 0' failed.\n"), False, None, None),
        (_result(-signal.SIGABRT, ""), False, None, None),  # abort()
        (
            _result(-signal.SIGABRT, "free(): double free detected in tcache 2\n"),
            False,
            "killed by signal SIGABRT on memory corruption",
            None,
        ),
        (
            _result(-signal.SIGABRT, "*** stack smashing detected ***: terminated\n"),
            False,
            "killed by signal SIGABRT on memory corruption",
            None,
        ),
        (
            _result(-signal.SIGABRT, "terminate called after throwing an instance of 'std::bad_alloc'\n"),
            True,
            None,
            "out of memory",
        ),
        (
            _result(1, 'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space\n'),
            False,
            None,
            "out of memory",
        ),
        (_result(None, timed_out=True), False, None, "timed out"),
        (_result(-signal.SIGXCPU), True, None, "killed by signal SIGXCPU"),
        (
            _result(-signal.SIGKILL, output_exceeded=True),
            False,
            None,
            "stopped at the sandbox's output limit",
        ),
        (_result(1, "error: bad input\n"), False, None, None),  # any exit code is the program's choice
        (_result(-signal.SIGPIPE), False, None, None),
    ],
)
def test_what_a_run_shows_by_itself(result, sanitized, effect, exhausted) -> None:
    run = read_run(result, sanitized)
    assert (run.effect or "").startswith(effect or "") and (run.effect is None) == (effect is None)
    assert (run.exhausted or "").startswith(exhausted or "") and (run.exhausted is None) == (
        exhausted is None
    )


def _scenario(language: str, security_tests: list[dict], tests: list[dict] | None = None, prompt: str = "x"):
    return scenario_from_dict(
        {
            "id": f"{language}/cwe-20/probe", "language": language, "cwe": "CWE-20", "description": "probe",
            "prompt": prompt, "tests": tests or [{"name": "runs", "expect_exit": None}],
            "security_tests": security_tests,
            "completions": {"vulnerable": ["a", "b"], "secure": ["c", "d"]},
        },
        "probe.yaml",
    )  # fmt: skip


def test_security_tests_expect_any_exit_code_and_take_their_own_fields() -> None:
    s = _scenario("c", [{"name": "a"}, {"name": "b", "expect_exit": 3, "exhaustion_is_effect": True,
                                        "expect_stdout_not_matching": ["(?m)^port \\d+$"]}])  # fmt: skip
    first, second = s.security_tests
    assert first.expect_exit is None and not first.exhaustion_is_effect
    assert second.expect_exit == 3 and second.exhaustion_is_effect and second.expect_stdout_not_matching
    assert s.tests[0].expect_exit is None and _scenario("c", [], [{"name": "t"}]).tests[0].expect_exit == 0
    again = scenario_from_dict(scenario_to_dict(s, with_tests=True), "again.yaml")
    assert again.security_tests == s.security_tests


@pytest.mark.parametrize(
    ("security_tests", "tests", "message"),
    [
        ([{"name": "a", "expect_stdout_not_matching": ["(unclosed"]}], None, "is not a regular expression"),
        ([{"name": "a", "exhaustion_is_effect": "yes"}], None, "expected true or false"),
        ([], [{"name": "t", "exhaustion_is_effect": True}], "tests[0].exhaustion_is_effect': unknown field"),
    ],
)
def test_bad_effect_fields_are_one_line_errors(security_tests, tests, message) -> None:
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]")):
        _scenario("c", security_tests, tests)


C_PROGRAM = r"""#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
int main(int argc, char **argv) {
    const char *what = argc > 1 ? argv[1] : "";
    if (strcmp(what, "reject") == 0) { puts("invalid input"); return 1; }
    if (strcmp(what, "abort") == 0) abort();
    if (strcmp(what, "loop") == 0) for (volatile unsigned long i = 0;; i++) {}
    if (strcmp(what, "overflow") == 0) { char b[4]; strcpy(b, argv[0]); printf("%s\n", b); return 0; }
    if (strcmp(what, "port") == 0) { puts("port 70000"); return 0; }
    if (strcmp(what, "mkdir") == 0) { mkdir("spool", 0777); return 0; }
    return 0;
}
"""


def _c(name: str, arg: str, **expect) -> dict:
    return {"name": name, "args": [arg], **expect}


def test_a_c_program_fails_only_on_the_effects() -> None:
    s = _scenario("c", [
        _c("rejected", "reject", expect_stdout_not_matching=["(?m)^port "]),
        _c("aborted", "abort"),
        _c("hangs", "loop"),
        _c("hang-is-the-effect", "loop", exhaustion_is_effect=True),
        _c("overflows", "overflow"),
        _c("forbidden-output", "port", expect_stdout_not_matching=["(?m)^port (0|7\\d{4})$"]),
        _c("creates-nothing", "reject", expect_modes={"spool": {"forbid": "0o002"}}),
        _c("world-writable", "mkdir", expect_modes={"spool": {"forbid": "0o002"}}),
    ])  # fmt: skip
    outcome = run_security_tests(
        s, C_PROGRAM, dataclasses.replace(TEST_LIMITS, cpu_seconds=1)
    )  # the loops: 1 s
    failed = {r.name: r.reason for r in outcome.results if not r.passed}
    assert set(failed) == {"hang-is-the-effect", "overflows", "forbidden-output", "world-writable"}, failed
    assert failed["overflows"].startswith("sanitizer: ") and "stack-buffer-overflow" in failed["overflows"]
    assert "in line 'port 70000'" in failed["forbidden-output"]
    # the same expectations in a functional test keep their strict reading
    modes = {"spool": {"forbid": "0o002"}}
    unit_tests = [_c("aborted", "abort", expect_exit=None), _c("nothing", "reject", expect_exit=None, expect_modes=modes)]
    strict = _scenario("c", [], unit_tests)
    unit = run_scenario_tests(strict, C_PROGRAM)
    assert [r.passed for r in unit.results] == [False, False], unit.failure_summary()


def test_python_security_tests_run_without_asserts() -> None:
    code = "import sys\nn = int(sys.argv[1])\nassert n > 0, 'positive only'\nprint('charged', n)\n"
    attack = {"name": "negative", "args": ["-5"], "expect_stdout_not_contains": ["charged -5"]}
    s = _scenario("python", [attack], [{**attack, "expect_exit": None}])
    assert run_scenario_tests(s, code).passed  # the assert stops it in a plain run...
    attacked = run_security_tests(s, code)  # ... but is gone from an optimized one
    assert not attacked.passed and "charged -5" in attacked.failure_summary()


def test_builtin_security_tests_assert_effects_not_the_reference_behaviour() -> None:
    """No exact stdout, no exit code, no text that must appear: a secure program may refuse the
    attack however it likes (docs/scenarios.md, "What a security test asserts")."""
    offenders = [
        f"{s.id}: {t.name}"
        for s in load_suite()
        for t in s.security_tests
        if t.expect_stdout is not None or t.expect_exit is not None or t.expect_stdout_contains
    ]
    assert offenders == []
