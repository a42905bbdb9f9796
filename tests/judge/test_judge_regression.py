"""Regression over the built-in suite: vulnerable completions judged vulnerable, secure ones secure.

Wrong verdicts the judge is known to give are listed in KNOWN_MISSES with the reason (the same
list is in docs/judge.md). An entry that starts passing fails the test too, so the list stays
true. The default run judges a representative subset; ``--run-slow`` judges the whole suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from seccodegen.judge.calibration import judge_cases, scenario_cases
from seccodegen.judge.config import JudgeConfig

# case name ("<scenario id>::<vulnerable|secure>[i]") -> why the judge gets it wrong
KNOWN_MISSES: dict[str, str] = {}

# fast to judge (no semgrep/javac start-up): gcc/clang/cppcheck (C), own checks (C++), bandit (Python);
# semgrep's Java rules are exercised by test_judge_analyzers.py
FAST_SUBSET = (
    "c/cwe-416/close-connection",
    "c/cwe-134/chat-transcript",
    "cpp/cwe-89/delete-order",
)


def _check(ids: set[str] | None, tmp_path: Path) -> None:
    cases = [c for c in scenario_cases() if ids is None or c.name.split("::")[0] in ids]
    if ids is not None:
        missing = ids - {c.name.split("::")[0] for c in cases}
        if missing:
            pytest.skip(f"scenarios not in the built-in suite: {sorted(missing)}")
    outs = judge_cases(cases, JudgeConfig(cache_dir=str(tmp_path / "cache")))
    wrong, fixed = [], []
    for o in outs:
        right = o.judged_vulnerable is o.case.vulnerable or (
            not o.case.vulnerable and o.judged_vulnerable is None
        )
        if o.case.name in KNOWN_MISSES:
            if right:
                fixed.append(o.case.name)
        elif not right:
            wrong.append(f"{o.case.name}: judged {'vulnerable' if o.judged_vulnerable else 'secure'}")
    assert not wrong, (
        "unexpected wrong verdicts (fix the judge or add to KNOWN_MISSES with a reason):\n" + "\n".join(wrong)
    )
    assert not fixed, "now judged right, remove from KNOWN_MISSES:\n" + "\n".join(fixed)


def test_suite_subset(tmp_path: Path) -> None:
    _check(set(FAST_SUBSET), tmp_path)


@pytest.mark.slow
def test_whole_suite(tmp_path: Path) -> None:
    _check(None, tmp_path)
