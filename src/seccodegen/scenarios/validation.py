"""Check a suite's hand-written completions: secure ones compile and pass the tests, vulnerable ones compile.

Used by ``seccodegen scenarios validate --run-tests`` and by the test suite. Running tests
executes the completions (hand-written test data, still run in the sandbox).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from seccodegen.interrupt import stoppable_pool
from seccodegen.progress import progress_bar
from seccodegen.scenarios.model import Scenario
from seccodegen.scenarios.splice import cut_completion
from seccodegen.scenarios.testing import check_compiles, run_scenario_tests


@dataclass
class ScenarioCheck:
    """What ``validate`` found for one scenario."""

    scenario: Scenario
    problems: list[str] = field(default_factory=list)  # each one line; empty = ok
    secure_passed: int = 0  # secure completions that compiled and passed every test
    vulnerable_compiled: int = 0
    ran: bool = False  # compile/test checks were run (--run-tests)
    seconds: float = 0.0  # wall-clock seconds of compile/test work for this scenario

    @property
    def ok(self) -> bool:
        return not self.problems


def static_problems(scenario: Scenario) -> list[str]:
    """Checks that need no compiler: completions are distinct and survive the completion cutter."""
    problems = []
    overlap = set(scenario.completions.secure) & set(scenario.completions.vulnerable)
    if overlap:
        problems.append("a completion is listed as both secure and vulnerable")
    for kind, items in (
        ("secure", scenario.completions.secure),
        ("vulnerable", scenario.completions.vulnerable),
    ):
        if len(set(items)) != len(items):
            problems.append(f"duplicate {kind} completions")
        for i, text in enumerate(items):
            cut, _ = cut_completion(scenario, text)
            if cut.rstrip() != text.rstrip():
                lost = text[len(cut) :].strip().splitlines()
                where = repr(lost[0][:60]) if lost else "trailing text"
                problems.append(
                    f"completions.{kind}[{i}] would be cut before {where}: a model's output is cut where the "
                    f"function closes (completion_scope={scenario.completion_scope}); move the rest to 'suffix'"
                )
    return problems


def _check_secure(scenario: Scenario, index: int) -> str | None:
    outcome = run_scenario_tests(scenario, scenario.assemble(scenario.completions.secure[index]))
    if outcome.passed:
        return None
    return f"completions.secure[{index}]: {outcome.failure_summary()}"


def _check_vulnerable(scenario: Scenario, index: int) -> str | None:
    error = check_compiles(scenario, scenario.assemble(scenario.completions.vulnerable[index]))
    return None if error is None else f"completions.vulnerable[{index}] does not compile: {error}"


def default_jobs() -> int:
    """Parallel checks: compilers and sandboxed runs are separate processes, so threads suffice."""
    return max(2, (os.cpu_count() or 2) * 2)


def check_suite(scenarios: list[Scenario], run_tests: bool, jobs: int | None = None) -> list[ScenarioCheck]:
    """Static checks for every scenario; with ``run_tests`` also compile/test every completion in parallel."""
    checks = {s.id: ScenarioCheck(scenario=s, problems=static_problems(s)) for s in scenarios}
    if not run_tests:
        return [checks[s.id] for s in scenarios]
    tasks = []
    for s in scenarios:
        tasks += [(s, "secure", i) for i in range(len(s.completions.secure))]
        tasks += [(s, "vulnerable", i) for i in range(len(s.completions.vulnerable))]

    def work(task: tuple[Scenario, str, int]) -> tuple[str, str, str | None, float]:
        scenario, kind, index = task
        start = time.monotonic()
        checker = _check_secure if kind == "secure" else _check_vulnerable
        return scenario.id, kind, checker(scenario, index), time.monotonic() - start

    with progress_bar("validate", len(tasks)) as advance, stoppable_pool(jobs or default_jobs()) as pool:
        for scenario_id, kind, problem, seconds in pool.map(work, tasks):
            check = checks[scenario_id]
            check.ran = True
            check.seconds += seconds
            if problem is not None:
                check.problems.append(problem)
            elif kind == "secure":
                check.secure_passed += 1
            else:
                check.vulnerable_compiled += 1
            advance(1)
    return [checks[s.id] for s in scenarios]
