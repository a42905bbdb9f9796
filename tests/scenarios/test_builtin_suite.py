"""The built-in suite (every language present at test time) passes `scenarios validate --run-tests`:
secure completions pass every test and security test, vulnerable ones compile and are caught.

Fast by default: every scenario is schema-checked and statically checked, and a fixed subset
(FAST_PER_LANGUAGE scenarios per language, chosen by a stable hash of the id) is compiled and
tested. ``--run-slow`` compiles and tests every completion of every scenario.
"""

from __future__ import annotations

import hashlib

import pytest

from seccodegen.scenarios.model import LANGUAGES, load_suite
from seccodegen.scenarios.validation import check_suite, static_problems

LOAD_ERRORS: list[str] = []
SUITE = load_suite(errors=LOAD_ERRORS)
BY_ID = {s.id: s for s in SUITE}
FAST_PER_LANGUAGE = 2


def _fast_subset() -> list[str]:
    chosen = []
    for lang in LANGUAGES:
        ids = sorted(
            (s.id for s in SUITE if s.language == lang), key=lambda i: hashlib.sha256(i.encode()).hexdigest()
        )
        chosen += ids[:FAST_PER_LANGUAGE]
    return chosen


FAST_IDS = _fast_subset()


def test_every_builtin_file_loads() -> None:
    assert not LOAD_ERRORS, "\n".join(LOAD_ERRORS)
    assert SUITE


@pytest.mark.parametrize("scenario_id", sorted(BY_ID))
def test_static_checks(scenario_id: str) -> None:
    assert static_problems(BY_ID[scenario_id]) == []


@pytest.fixture(scope="module")
def fast_checks(tmp_path_factory):
    cache = str(tmp_path_factory.mktemp("judge-cache"))  # the static judge's cache, not the user's
    return {c.scenario.id: c for c in check_suite([BY_ID[i] for i in FAST_IDS], run_tests=True, judge_cache_dir=cache)}


@pytest.fixture(scope="module")
def all_checks(tmp_path_factory):
    cache = str(tmp_path_factory.mktemp("judge-cache"))
    return {c.scenario.id: c for c in check_suite(SUITE, run_tests=True, judge_cache_dir=cache)}


@pytest.mark.parametrize("scenario_id", FAST_IDS)
def test_subset_secure_pass_and_vulnerable_compile(scenario_id: str, fast_checks) -> None:
    check = fast_checks[scenario_id]
    assert check.ok, "; ".join(check.problems)
    assert check.secure_passed == len(check.scenario.completions.secure)
    assert check.vulnerable_compiled == len(check.scenario.completions.vulnerable)
    assert check.vulnerable_caught == len(check.scenario.completions.vulnerable)


@pytest.mark.slow
@pytest.mark.parametrize("scenario_id", sorted(BY_ID))
def test_every_scenario_secure_pass_and_vulnerable_compile(scenario_id: str, all_checks) -> None:
    check = all_checks[scenario_id]
    assert check.ok, "; ".join(check.problems)
    assert check.secure_passed == len(check.scenario.completions.secure)
    assert check.vulnerable_compiled == len(check.scenario.completions.vulnerable)
    assert check.vulnerable_caught == len(check.scenario.completions.vulnerable)


# issue 4's bar: scenarios and CWEs per language, and the CWEs C and C++ must cover together
MIN_SCENARIOS_AND_CWES = {"c": (30, 1), "cpp": (30, 1), "python": (30, 12), "java": (10, 5)}
REQUIRED_C_CPP_CWES = {787, 125, 20, 78, 79, 22, 416, 190, 476, 119, 732, 89}


@pytest.mark.parametrize("language", sorted(MIN_SCENARIOS_AND_CWES))
def test_suite_meets_the_bar(language: str) -> None:
    mine = [s for s in SUITE if s.language == language]
    min_scenarios, min_cwes = MIN_SCENARIOS_AND_CWES[language]
    assert len(mine) >= min_scenarios and len({s.cwe for s in mine}) >= min_cwes


def test_c_and_cpp_cover_the_required_cwes() -> None:
    covered = {s.cwe_number for s in SUITE if s.language in ("c", "cpp")}
    assert REQUIRED_C_CPP_CWES <= covered, sorted(REQUIRED_C_CPP_CWES - covered)
    assert len(covered) >= 12
