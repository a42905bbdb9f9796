"""Every built-in C and Python scenario has exploit tests (``security_tests``), or a reason why none can.

A scenario is excepted only when its flaw has no effect a test can observe from inside the sandbox
(the test shape sees stdout, the exit status, file contents and modes, not timing, randomness or
what a program does outside its directory); the static judge must catch those completions. The
list is kept exact: an excepted scenario that gains security tests must leave it.
"""

from __future__ import annotations

import pytest

from seccodegen.scenarios.model import load_suite

COVERED_LANGUAGES = ("c", "python")

# scenario id -> why no exploit test can observe its flaw
NO_OBSERVABLE_EXPLOIT = {
    "c/cwe-415/append-line-buffer": "the double free needs realloc to fail; input cannot exhaust memory",
    "python/cwe-327/audit-chain": "the weak digest is never printed; no collision fits the JSON input",
    "python/cwe-327/password-hash": "the stored hash is never printed, so weak hashing has no output",
    "python/cwe-327/sign-message": "length extension needs a forged signature as input; none is read",
    "python/cwe-330/login-code": "predictable codes look like random ones within one run",
    "python/cwe-330/reset-token": "predictable tokens look like random ones within one run",
    "python/cwe-377/report-tempfile": "mktemp's race cannot be won on purpose; /tmp/report-PID is outside the test dir",
    "python/cwe-502/session-cookie": "the cookie is always the program's own; a test cannot supply one",
    "python/cwe-502/socket-channel": "both channel ends are the program's own; no foreign bytes reach pickle",
    "python/cwe-798/seed-admin-account": "the default admin password is stored hashed; no login runs",
}

SUITE = [s for s in load_suite() if s.language in COVERED_LANGUAGES]


@pytest.mark.parametrize("scenario", SUITE, ids=lambda s: s.id)
def test_scenario_has_security_tests_or_a_reason(scenario) -> None:
    if scenario.id in NO_OBSERVABLE_EXPLOIT:
        assert not scenario.security_tests, (
            f"{scenario.id} has security tests now: drop it from the exceptions"
        )
    else:
        assert scenario.security_tests, f"{scenario.id} has no security_tests and no listed reason"


def test_exceptions_name_existing_scenarios() -> None:
    ids = {s.id for s in SUITE}
    assert sorted(set(NO_OBSERVABLE_EXPLOIT) - ids) == []


def test_every_c_scenario_but_the_excepted_has_security_tests() -> None:
    c_ids = {s.id for s in SUITE if s.language == "c"}
    covered = {s.id for s in SUITE if s.language == "c" and s.security_tests}
    assert len(c_ids) >= 40
    assert covered == c_ids - set(NO_OBSERVABLE_EXPLOIT)
