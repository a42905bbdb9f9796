"""Check a suite's hand-written completions: secure ones pass every test, vulnerable ones are caught.

A secure completion must compile and pass the functional ``tests`` and every ``security_tests``
entry. A vulnerable one must compile and be caught: by failing a security test when the scenario
has security tests, else by the static judge (a deciding analyzer finds the scenario's CWE).
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
from seccodegen.scenarios.testing import check_compiles, run_scenario_tests, run_security_tests


@dataclass
class ScenarioCheck:
    """What ``validate`` found for one scenario."""

    scenario: Scenario
    problems: list[str] = field(default_factory=list)  # each one line; empty = ok
    secure_passed: int = 0  # secure completions that compiled and passed every test
    vulnerable_compiled: int = 0
    vulnerable_caught: int = 0  # vulnerable completions caught (see ``caught_by``)
    caught_by: str = ""  # "security tests" or "static judge": the oracle vulnerable ones must fail
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
    program = scenario.assemble(scenario.completions.secure[index])
    outcome = run_scenario_tests(scenario, program)
    if not outcome.passed:
        return f"completions.secure[{index}]: {outcome.failure_summary()}"
    if scenario.security_tests:
        attacked = run_security_tests(scenario, program)
        if not attacked.passed:
            return f"completions.secure[{index}] fails a security test: {attacked.failure_summary()}"
    return None


class _NotCaught(str):
    """A problem of a vulnerable completion that compiled (it counts in ``vulnerable_compiled``)."""


def _check_vulnerable(scenario: Scenario, index: int) -> str | None:
    """None when it compiles and (with security tests) a security test catches it."""
    program = scenario.assemble(scenario.completions.vulnerable[index])
    error = check_compiles(scenario, program)
    if error is not None:
        return f"completions.vulnerable[{index}] does not compile: {error}"
    if scenario.security_tests:
        attacked = run_security_tests(scenario, program)
        if attacked.compile_error is not None:
            return _NotCaught(
                f"completions.vulnerable[{index}]: security build failed: {attacked.compile_error}"
            )
        if attacked.passed:
            return _NotCaught(f"completions.vulnerable[{index}] is not caught: it passes every security test")
    return None


def _static_misses(scenarios: list[Scenario], cache_dir: str | None, jobs: int) -> dict[str, list[str]]:
    """Run the static judge on the vulnerable completions; ``{scenario id: [problem, ...]}``."""
    from seccodegen.judge.config import JudgeConfig
    from seccodegen.judge.engine import analyze
    from seccodegen.judge.items import item_from_record
    from seccodegen.judge.stage import decide_secure

    by_id = {s.id: s for s in scenarios}
    keys, items = [], []
    for s in scenarios:
        for i, completion in enumerate(s.completions.vulnerable):
            record = {"id": f"{s.id}::vulnerable::{i}", "scenario_id": s.id, "code": s.assemble(completion)}
            keys.append((s.id, i))
            items.append(item_from_record(record, by_id))
    if not items:
        return {}
    # only the deciding analyzers need to run (every registered one when a scenario names none)
    named = {a for s in scenarios for a in s.analyzers}
    deciders = () if any(not s.analyzers for s in scenarios) else tuple(sorted(named))
    cfg = JudgeConfig(analyzers=deciders, cache_dir=cache_dir, jobs=jobs, analyze_invalid=False)
    analyses = analyze(items, cfg)
    misses: dict[str, list[str]] = {}
    for (scenario_id, i), item, analysis in zip(keys, items, analyses):
        verdict = decide_secure(item, analysis)
        if verdict is not False:
            why = "no deciding analyzer ran" if verdict is None else "no deciding analyzer flags it"
            misses.setdefault(scenario_id, []).append(
                f"completions.vulnerable[{i}] is not caught: no security_tests, and {why} ({item.target_cwe})"
            )
    return misses


def default_jobs() -> int:
    """Parallel checks: compilers and sandboxed runs are separate processes, so threads suffice."""
    return max(2, (os.cpu_count() or 2) * 2)


def check_suite(
    scenarios: list[Scenario], run_tests: bool, jobs: int | None = None, judge_cache_dir: str | None = None
) -> list[ScenarioCheck]:
    """Static checks for every scenario; with ``run_tests`` also compile/test every completion in parallel.

    With ``run_tests`` the vulnerable completions of scenarios without security tests are judged
    by the static judge (results cached in ``judge_cache_dir``; None = the judge's default cache).
    """
    checks = {s.id: ScenarioCheck(scenario=s, problems=static_problems(s)) for s in scenarios}
    if not run_tests:
        return [checks[s.id] for s in scenarios]
    for s in scenarios:
        checks[s.id].caught_by = "security tests" if s.security_tests else "static judge"
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
                check.problems.append(str(problem))
                check.vulnerable_compiled += isinstance(problem, _NotCaught)
            elif kind == "secure":
                check.secure_passed += 1
            else:
                check.vulnerable_compiled += 1
                check.vulnerable_caught += bool(check.scenario.security_tests)
            advance(1)
    static = [s for s in scenarios if not s.security_tests and s.completions.vulnerable]
    misses = _static_misses(static, judge_cache_dir, jobs or default_jobs()) if static else {}
    for s in static:
        checks[s.id].problems += misses.get(s.id, [])
        checks[s.id].vulnerable_caught = len(s.completions.vulnerable) - len(misses.get(s.id, []))
    return [checks[s.id] for s in scenarios]
