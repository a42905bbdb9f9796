"""Juliet halves: OMITBAD/OMITGOOD blocks are removed textually so every analyzer sees one half."""

from __future__ import annotations

from pathlib import Path

from seccodegen.judge.calibration import juliet_half, metrics_table

FIX = Path(__file__).parents[1] / "fixtures" / "judge"


def test_juliet_half_keeps_one_side() -> None:
    src = (FIX / "juliet_like.c").read_text()
    bad, good = juliet_half(src, "bad"), juliet_half(src, "good")
    assert "demo_bad" in bad and "goodG2B" not in bad and "demo_good" not in bad
    assert "goodG2B" in good and "demo_bad" not in good
    assert "int main" in bad and "int main" in good
    assert "OMITGOOD" not in bad and "OMITBAD" not in good  # the kept side's own guard may stay


def test_metrics_table_counts() -> None:
    from seccodegen.judge.calibration import Case, Outcome
    from seccodegen.judge.items import JudgeItem

    item = JudgeItem(code="", language="c", target_cwe="CWE-787", source_name="main.c")
    outs = [
        Outcome(Case("a", "CWE-787", item, True), True, {"x": True}),
        Outcome(Case("b", "CWE-787", item, True), False, {"x": False}),
        Outcome(Case("c", "CWE-787", item, False), True, {"x": True}),
        Outcome(Case("d", "CWE-787", item, False), False, {"x": False}),
    ]
    row = next(line for line in metrics_table(outs, ["x"]).splitlines() if line.startswith("| CWE-787"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    # group, bad, good, TP, FN, FP, TN, precision, recall, x TP/FP
    assert cells == ["CWE-787", "2", "2", "1", "1", "1", "1", "0.50", "0.50", "1/1"]


def test_scenario_calibration_with_security_tests(tmp_path: Path) -> None:
    import shutil

    import pytest

    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed")
    from seccodegen.judge.calibration import SECURITY_TESTS, judge_cases, scenario_cases
    from seccodegen.judge.config import JudgeConfig

    suite = Path(__file__).parents[1] / "fixtures" / "scenarios" / "valid"  # copy-name, with security_tests
    cfg = JudgeConfig(analyzers=("gcc-warnings",), cache_dir=str(tmp_path), jobs=2, allow_exec=True)
    outcomes = judge_cases(scenario_cases(suite), cfg)
    # gcc-warnings misses the strcpy/sprintf overflows; the exploit catches both, and no secure one
    assert [(o.case.vulnerable, o.judged_vulnerable, o.per_tool[SECURITY_TESTS]) for o in outcomes] == [
        (True, True, True), (True, True, True), (False, False, False), (False, False, False)
    ]  # fmt: skip
    assert "| 2 | 0 | 0 | 2 | 1.00 | 1.00 |" in metrics_table(outcomes, ["gcc-warnings", SECURITY_TESTS])
