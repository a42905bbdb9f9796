"""Security tests in the judge: exploited, secure_static/secure_dynamic, secure_rule, missing-analyzer warning."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from seccodegen.judge import judge_records
from seccodegen.judge.config import JudgeConfig
from seccodegen.judge.stage import combine_secure

SUITE = (
    Path(__file__).parents[1] / "fixtures" / "scenarios" / "valid"
)  # c/cwe-787/copy-name has security_tests


@pytest.mark.parametrize(
    ("static", "dynamic", "both"),
    [(True, True, True), (True, False, False), (False, True, False), (True, None, True), (None, True, True),
     (None, False, False), (None, None, None), (False, None, False)],
)  # fmt: skip
def test_combine_secure(static, dynamic, both) -> None:
    assert combine_secure(static, dynamic, "both") is both
    assert combine_secure(static, dynamic, "static") is static
    assert combine_secure(static, dynamic, "dynamic") is dynamic


def test_secure_rule_is_checked() -> None:
    with pytest.raises(ValueError, match="secure_rule"):
        JudgeConfig(secure_rule="either")


def test_missing_deciding_analyzer_prints_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from seccodegen.judge.analyzers.cppcheck import Cppcheck

    monkeypatch.setattr(Cppcheck, "available", lambda self: False)
    cfg = JudgeConfig(analyzers=("cppcheck",), cache_dir=str(tmp_path / "cache"), jobs=1)
    code = "int main(void){return 0;}\n"
    judge_records(
        [{"id": str(i), "language": "c", "cwe": "CWE-787", "code": code + f"/*{i}*/"} for i in range(3)], cfg
    )
    warnings = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1 and "cppcheck" in warnings[0]


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_exploit_of_vulnerable_completion_is_seen_and_secure_one_is_not(tmp_path: Path) -> None:
    from seccodegen.scenarios.model import load_suite
    from seccodegen.scenarios.testing import security_spec_hash

    scenario = load_suite(SUITE)[0]
    assert scenario.security_tests
    records = [
        {
            "id": kind,
            "scenario_id": scenario.id,
            "code": scenario.assemble(getattr(scenario.completions, kind)[0]),
        }
        for kind in ("vulnerable", "secure")
    ]
    cfg = JudgeConfig(
        scenarios=str(SUITE),
        analyzers=("cppcheck",),
        cache_dir=str(tmp_path / "cache"),
        allow_exec=True,
        jobs=2,
    )
    vuln, safe = judge_records(records, cfg)
    assert vuln["valid"] and vuln["links"] and vuln["exploited"] is True and vuln["secure_dynamic"] is False
    assert "AddressSanitizer" in vuln["security_tests"]["failures"]
    assert vuln["secure"] is False  # rule "both": an exploit makes it insecure whatever the analyzers say
    assert safe["exploited"] is False and safe["secure_dynamic"] is True
    spec = security_spec_hash(scenario)  # which security tests made the verdict
    assert safe["security_tests"] == {"passed": True, "n_passed": 1, "n_total": 1, "failures": "", "spec_sha256": spec}
    assert safe["correct"] is True
    # cached: the second run gives the same answers; secure_rule=dynamic follows the exploit alone
    again = judge_records(records, JudgeConfig(**{**cfg.__dict__, "secure_rule": "dynamic"}))
    assert [r["secure"] for r in again] == [False, True]
    assert [r["security_tests"] for r in again] == [vuln["security_tests"], safe["security_tests"]]


def test_without_allow_exec_nothing_runs(tmp_path: Path) -> None:
    from seccodegen.scenarios.model import load_suite

    scenario = load_suite(SUITE)[0]
    code = scenario.assemble(scenario.completions.vulnerable[0])
    cfg = JudgeConfig(
        scenarios=str(SUITE), analyzers=("cppcheck",), cache_dir=str(tmp_path / "cache"), jobs=1
    )
    (out,) = judge_records([{"id": "v", "scenario_id": scenario.id, "code": code}], cfg)
    assert out["exploited"] is None and out["security_tests"] is None and out["secure_dynamic"] is None
    assert out["secure"] == out["secure_static"]


def _two_scenarios_one_program(tmp_path: Path) -> Path:
    """A suite of two python scenarios whose prompts (so whose programs) are identical but whose
    tests disagree: the program prints 'hello', which only scenario a's tests accept."""
    import json

    program = {"language": "python", "cwe": "CWE-78", "prompt": "import sys\nprint('hello')\n",
               "completion_scope": "program"}  # fmt: skip
    lines = []
    for slug, expected in (("a", "hello"), ("b", "bye")):
        test = {"name": "prints", "expect_stdout": expected}
        lines.append({**program, "id": f"python/cwe-78/{slug}", "tests": [test], "security_tests": [test]})
    suite = tmp_path / "suite.jsonl"
    suite.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return suite


def test_identical_programs_of_two_scenarios_get_each_scenarios_tests(tmp_path: Path) -> None:
    # test results depend on the scenario: one program text judged for two scenarios (and once as
    # external code) must run each scenario's own tests, not share the first one's results
    from seccodegen.sandbox import bwrap_problem

    if bwrap_problem() is not None:
        pytest.skip(bwrap_problem())
    suite = _two_scenarios_one_program(tmp_path)
    code = "import sys\nprint('hello')\n"
    records = [
        {"id": "external", "language": "python", "cwe": "CWE-78", "code": code},
        {"id": "a", "scenario_id": "python/cwe-78/a", "code": code},
        {"id": "b", "scenario_id": "python/cwe-78/b", "code": code},
    ]
    cfg = JudgeConfig(scenarios=str(suite), analyzers=("bandit",), cache_dir=str(tmp_path / "cache"),
                      allow_exec=True, jobs=2)  # fmt: skip
    for _ in range(2):  # the second run reads every result from the cache
        external, a, b = judge_records(records, cfg)
        assert external["correct"] is None and external["exploited"] is None
        assert a["correct"] is True and a["exploited"] is False and a["secure_dynamic"] is True
        assert b["correct"] is False and b["exploited"] is True and b["secure_dynamic"] is False
        assert "expected 'bye'" in b["tests"]["failures"]
        # static results are shared: the program is compiled and analyzed once
        assert a["findings"] == b["findings"] == external["findings"]
