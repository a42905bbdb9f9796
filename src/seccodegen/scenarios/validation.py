"""Check a suite's hand-written completions: secure ones pass every test, vulnerable ones are caught.

A secure completion must compile and pass the functional ``tests`` and every ``security_tests``
entry; a secure variant (one that meets the attack differently: rejects it with an error, prints
other text) must compile and pass every security test. A vulnerable one must compile and be
caught: by failing a security test, else by the static judge (a deciding analyzer finds the
scenario's CWE) -- the judge's own rule, where either oracle makes a sample vulnerable. A flaw
no test can observe (a path hard-coded under the sandbox's private /tmp, say) is thus left to
the analyzers, and the report says which oracle caught what.
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
    variants_passed: int = 0  # secure variants that compiled and passed every security test
    vulnerable_compiled: int = 0
    caught_by_tests: int = 0  # vulnerable completions that failed a security test
    caught_by_static: int = 0  # ... that passed every security test (or had none) but the static judge flags
    ran: bool = False  # compile/test checks were run (--run-tests)
    seconds: float = 0.0  # wall-clock seconds of compile/test work for this scenario

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def vulnerable_caught(self) -> int:
        return self.caught_by_tests + self.caught_by_static

    @property
    def caught_by(self) -> str:
        """Which oracle caught the vulnerable completions: "security tests", "static judge" or both."""
        if not self.ran:
            return ""
        if not self.scenario.security_tests:
            return "static judge"
        return "security tests" + (" + static judge" if self.caught_by_static else "")


def static_problems(scenario: Scenario) -> list[str]:
    """Checks that need no compiler: completions are distinct and survive the completion cutter."""
    problems = []
    comp = scenario.completions
    if (set(comp.secure) | set(comp.secure_variants)) & set(comp.vulnerable):
        problems.append("a completion is listed as both secure and vulnerable")
    if set(comp.secure) & set(comp.secure_variants):
        problems.append("a completion is listed as both secure and a secure variant")
    for kind in ("secure", "vulnerable", "secure_variants"):
        items = getattr(comp, kind)
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


def _check_variant(scenario: Scenario, index: int) -> str | None:
    program = scenario.assemble(scenario.completions.secure_variants[index])
    attacked = run_security_tests(scenario, program)
    if attacked.compile_error is not None:
        return f"completions.secure_variants[{index}] does not compile: {attacked.compile_error}"
    if not attacked.passed:
        return f"completions.secure_variants[{index}] fails a security test: {attacked.failure_summary()}"
    return None


class _NotCaught(str):
    """A problem of a vulnerable completion that compiled (it counts in ``vulnerable_compiled``)."""


class _PassesSecurityTests(_NotCaught):
    """A vulnerable completion that compiled and passed every security test: the static judge decides."""


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
            return _PassesSecurityTests(f"completions.vulnerable[{index}] passes every security test")
    return None


def _static_misses(
    completions: list[tuple[Scenario, int]], cache_dir: str | None, jobs: int
) -> dict[tuple[str, int], str]:
    """Run the static judge on these vulnerable completions; ``{(scenario id, index): why it is
    not flagged}`` for those no deciding analyzer flags."""
    from seccodegen.judge.config import JudgeConfig
    from seccodegen.judge.engine import analyze
    from seccodegen.judge.items import item_from_record
    from seccodegen.judge.stage import decide_secure

    scenarios = list({s.id: s for s, _ in completions}.values())
    by_id = {s.id: s for s in scenarios}
    items = []
    for s, i in completions:
        code = s.assemble(s.completions.vulnerable[i])
        items.append(
            item_from_record({"id": f"{s.id}::vulnerable::{i}", "scenario_id": s.id, "code": code}, by_id)
        )
    # only the deciding analyzers need to run (every registered one when a scenario names none)
    named = {a for s in scenarios for a in s.analyzers}
    deciders = () if any(not s.analyzers for s in scenarios) else tuple(sorted(named))
    cfg = JudgeConfig(analyzers=deciders, cache_dir=cache_dir, jobs=jobs, analyze_invalid=False)
    misses: dict[tuple[str, int], str] = {}
    for (s, i), item, analysis in zip(completions, items, analyze(items, cfg)):
        verdict = decide_secure(item, analysis)
        if verdict is not False:
            why = "no deciding analyzer ran" if verdict is None else "no deciding analyzer flags it"
            misses[(s.id, i)] = f"{why} ({item.target_cwe})"
    return misses


def default_jobs() -> int:
    """Parallel checks: compilers and sandboxed runs are separate processes, so threads suffice."""
    return max(2, (os.cpu_count() or 2) * 2)


def check_suite(
    scenarios: list[Scenario], run_tests: bool, jobs: int | None = None, judge_cache_dir: str | None = None
) -> list[ScenarioCheck]:
    """Static checks for every scenario; with ``run_tests`` also compile/test every completion in parallel.

    With ``run_tests`` the vulnerable completions that no security test catches (all of them when a
    scenario has none) are judged by the static judge (results cached in ``judge_cache_dir``;
    None = the judge's default cache).
    """
    checks = {s.id: ScenarioCheck(scenario=s, problems=static_problems(s)) for s in scenarios}
    if not run_tests:
        return [checks[s.id] for s in scenarios]
    to_static = [
        (s, i) for s in scenarios if not s.security_tests for i in range(len(s.completions.vulnerable))
    ]
    tasks = []
    for s in scenarios:
        tasks += [(s, "secure", i) for i in range(len(s.completions.secure))]
        tasks += [(s, "vulnerable", i) for i in range(len(s.completions.vulnerable))]
        tasks += [(s, "secure_variants", i) for i in range(len(s.completions.secure_variants))]
    checkers = {"secure": _check_secure, "vulnerable": _check_vulnerable, "secure_variants": _check_variant}

    def work(task: tuple[Scenario, str, int]) -> tuple[str, str, int, str | None, float]:
        scenario, kind, index = task
        start = time.monotonic()
        return scenario.id, kind, index, checkers[kind](scenario, index), time.monotonic() - start

    with progress_bar("validate", len(tasks)) as advance, stoppable_pool(jobs or default_jobs()) as pool:
        for scenario_id, kind, index, problem, seconds in pool.map(work, tasks):
            check = checks[scenario_id]
            check.ran = True
            check.seconds += seconds
            if isinstance(problem, _PassesSecurityTests):
                to_static.append((check.scenario, index))
                check.vulnerable_compiled += 1
            elif problem is not None:
                check.problems.append(str(problem))
                check.vulnerable_compiled += isinstance(problem, _NotCaught)
            elif kind == "secure":
                check.secure_passed += 1
            elif kind == "secure_variants":
                check.variants_passed += 1
            else:
                check.vulnerable_compiled += 1
                check.caught_by_tests += bool(check.scenario.security_tests)  # else: to_static has it
            advance(1)
    misses = _static_misses(to_static, judge_cache_dir, jobs or default_jobs()) if to_static else {}
    for s, i in sorted(to_static, key=lambda pair: (pair[0].id, pair[1])):
        check = checks[s.id]
        why = misses.get((s.id, i))
        if why is None:
            check.caught_by_static += 1
            continue
        tests = "it passes every security test" if s.security_tests else "no security_tests"
        check.problems.append(f"completions.vulnerable[{i}] is not caught: {tests}, and {why}")
    return [checks[s.id] for s in scenarios]
