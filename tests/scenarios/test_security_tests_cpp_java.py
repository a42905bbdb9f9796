"""Coverage of the built-in C++ and Java scenarios by security tests (exploit inputs).

Every C++ and Java scenario has security tests unless it is listed below with the reason no attack
can be observed from inside the test sandbox (its vulnerable completions are left to the static
judge). The lists are exact, so a scenario that gains security tests must leave them.
"""

from __future__ import annotations

import pytest

from seccodegen.scenarios.model import load_suite

# scenario id -> why no test can observe the attack's effect
WITHOUT_SECURITY_TESTS = {
    "java/cwe-327/sign-payload": "the signature is never printed; a weak MAC has no effect on the output",
    "java/cwe-330/reset-code": "java.util.Random and SecureRandom outputs look alike to a single run",
    "java/cwe-330/session-id": "java.util.Random and Math.random outputs look alike to a single run",
}

SUITE = [s for s in load_suite() if s.language in ("cpp", "java")]


def _has_effect_check(test) -> bool:
    """True when the test states an observable effect beyond 'it ran'."""
    return bool(
        test.expect_exit is not None
        or test.expect_stdout is not None
        or test.expect_stdout_contains
        or test.expect_stdout_not_contains
        or test.expect_stdout_not_matching
        or test.expect_files
        or test.expect_files_absent
        or test.expect_modes
        or test.exhaustion_is_effect
    )


def test_exceptions_name_existing_scenarios():
    ids = {s.id for s in SUITE}
    assert set(WITHOUT_SECURITY_TESTS) <= ids


@pytest.mark.parametrize("scenario", SUITE, ids=lambda s: s.id)
def test_scenario_has_security_tests_unless_listed(scenario):
    if scenario.id in WITHOUT_SECURITY_TESTS:
        assert not scenario.security_tests, f"{scenario.id} has security tests now: remove it from the list"
    else:
        assert scenario.security_tests, f"{scenario.id} has no security_tests"


@pytest.mark.parametrize("scenario", [s for s in SUITE if s.security_tests], ids=lambda s: s.id)
def test_unsanitized_security_tests_state_an_effect(scenario):
    # Without a sanitizer (java, or sanitize: false) only a stated effect or a crash can fail a
    # test, so at least one test must state the effect that must not happen.
    sanitized = scenario.language == "cpp" and scenario.sanitize is not False
    assert sanitized or any(_has_effect_check(t) for t in scenario.security_tests), scenario.id


def test_every_cpp_scenario_has_security_tests():
    assert all(s.security_tests for s in SUITE if s.language == "cpp")
