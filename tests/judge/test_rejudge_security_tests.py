"""scripts/rejudge_security_tests.py: only the security tests of stale samples run again; exploited,
secure_dynamic and secure are recomputed, everything else is kept; steps get a manifest entry."""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
from pathlib import Path

import pytest

from seccodegen.records import read_jsonl
from seccodegen.scenarios.model import find_scenario, load_suite
from seccodegen.scenarios.testing import security_spec_hash

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
SCENARIO = find_scenario(load_suite(), "c/cwe-787/score-histogram")


def _record(i: int, completion: str, exploited: bool, valid: bool = True, **extra) -> dict:
    # as an older judge left them: the variant that exits 1 on a bad score counted as exploited
    return {
        "id": f"{SCENARIO.id}::baseline::{i}", "scenario_id": SCENARIO.id,
        "code": SCENARIO.assemble(completion), "valid": valid, "secure_static": True,
        "exploited": exploited, "secure_dynamic": not exploited, "secure": not exploited, "findings": [], "tests": {"passed": True},
        "security_tests": {"passed": not exploited, "n_passed": 0, "n_total": 3, "failures": "old reason"},
        **extra,
    }  # fmt: skip


def _records() -> list[dict]:
    variant, vulnerable = SCENARIO.completions.secure_variants[0], SCENARIO.completions.vulnerable[0]
    return [_record(0, variant, True), _record(1, vulnerable, True), _record(2, variant, True, valid=False),
            {**_record(3, vulnerable, False), "scenario_id": "c/cwe-125/month-abbrev"}]  # fmt: skip


def _args(**kw) -> argparse.Namespace:
    defaults = {"scenario": None, "jobs": 2, "scenarios": None, "secure_rule": "both", "allow_exec": True,
                "reason": "security tests assert only the attack effect", "analyzers": "", "cache_dir": None}  # fmt: skip
    return argparse.Namespace(**{**defaults, **kw})


def test_a_judged_file_gets_new_security_verdicts_and_keeps_the_rest(script, tmp_path: Path) -> None:
    judged = tmp_path / "cell.judged.jsonl.gz"
    judged.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in _records()).encode()))
    rejudge = script("rejudge_security_tests")
    line = rejudge.process(judged, _args(scenario=[SCENARIO.id]))
    assert (
        "2 samples judged again" in line and "exploited 3 -> 2; secure among valid 1/3 (33.3%) -> 2/3" in line
    )
    new = {r["id"].rsplit("::", 1)[1]: r for r in read_jsonl(judged)}
    assert (new["0"]["exploited"], new["0"]["secure_dynamic"], new["0"]["secure"]) == (False, True, True)
    assert (new["1"]["exploited"], new["1"]["secure"]) == (True, False)
    assert "sanitizer" in new["1"]["security_tests"]["failures"]
    assert new["0"]["security_tests"]["spec_sha256"] == security_spec_hash(SCENARIO)
    assert (
        new["2"]["exploited"] is True and new["3"]["security_tests"]["failures"] == "old reason"
    )  # not chosen
    assert new["0"]["tests"] == {"passed": True} and new["0"]["secure_static"] is True
    backup = tmp_path / "cell.judged.before-security-rejudge.jsonl.gz"
    assert [r["exploited"] for r in read_jsonl(backup)] == [True, True, True, False]
    assert "0 samples judged again" in rejudge.process(judged, _args(scenario=[SCENARIO.id]))  # now up to date


def test_a_judge_step_uses_its_settings_and_records_the_rejudge(script, tmp_path: Path) -> None:
    step = tmp_path / "step"
    step.mkdir()
    (step / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _records()[:2]))
    config = {
        "samples": "x",
        "out": str(step),
        "allow_exec": True,
        "secure_rule": "dynamic",
        "scenarios": None,
    }
    manifest = {"status": "finished", "config": config, "outputs": {"exploited": 2}}
    (step / "manifest.json").write_text(json.dumps(manifest))
    script("rejudge_security_tests").process(step, _args(secure_rule="static"))  # a step's own rule wins
    new = read_jsonl(step / "results.jsonl")
    assert [r["secure"] for r in new] == [True, False]  # secure_rule dynamic: the tests decide
    written = json.loads((step / "manifest.json").read_text())
    (entry,) = written["rejudged"]
    assert (entry["kind"], entry["scenarios"], entry["records"]) == ("security_tests", [SCENARIO.id], 2)
    assert written["outputs"]["exploited"] == 1 and (step / "results.before-security-rejudge.jsonl").exists()


def test_a_restored_step_is_judged_again_with_the_flags_settings(script, tmp_path: Path) -> None:
    # put back from published samples: results.jsonl and RESTORED.txt, no manifest
    step = tmp_path / "restored"
    step.mkdir()
    (step / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _records()[:2]))
    rejudge = script("rejudge_security_tests")
    with pytest.raises(rejudge.SeccodegenError, match="not a judge step folder"):
        rejudge.process(step, _args())
    (step / "RESTORED.txt").write_text("restored from ...\n")
    assert "exploited 2 -> 1" in rejudge.process(step, _args())
    assert not (step / "manifest.json").exists() and (step / "results.before-security-rejudge.jsonl").exists()


def test_a_step_judged_without_allow_exec_is_refused(script, tmp_path: Path) -> None:
    (tmp_path / "results.jsonl").write_text("")
    (tmp_path / "manifest.json").write_text(
        json.dumps({"status": "finished", "config": {"allow_exec": False}})
    )
    with pytest.raises(SystemExit, match="judged without --allow-exec"):
        script("rejudge_security_tests").process(tmp_path, _args())


def test_analyzers_mode_replaces_their_findings_and_decides_the_static_verdict_again(script, tmp_path: Path) -> None:
    # recorded as an older judge left them: the vulnerable completion unflagged by seccodegen-dataflow,
    # a stale finding of it on the secure variant, and another analyzer's finding kept as it is
    variant, vulnerable = SCENARIO.completions.secure[0], SCENARIO.completions.vulnerable[0]
    stale = {"tool": "seccodegen-dataflow", "rule": "old-rule", "cwe_ids": ["CWE-787"], "message": "old",
             "file": "main.c", "line": 1, "column": 1, "severity": "warning"}  # fmt: skip
    other = {**stale, "tool": "gcc-warnings", "rule": "-Wsomething", "cwe_ids": []}
    records = [
        {**_record(0, vulnerable, False), "analyzers": {"gcc-warnings": "ok"}, "findings": [other]},
        {**_record(1, variant, False), "secure_static": False, "secure": False,
         "analyzers": {"gcc-warnings": "ok", "seccodegen-dataflow": "ok"}, "findings": [stale, other]},
        _record(2, vulnerable, False, valid=False),
    ]  # fmt: skip
    judged = tmp_path / "cell.judged.jsonl"
    judged.write_text("".join(json.dumps(r) + "\n" for r in records))
    line = script("rejudge_security_tests").process(judged, _args(analyzers="seccodegen-dataflow", cache_dir=None))
    assert "2 samples judged again" in line and "secure among valid 1/2 (50.0%) -> 1/2" in line
    new = read_jsonl(judged)
    assert (new[0]["secure_static"], new[0]["secure"]) == (False, False)  # found today
    assert any(f["tool"] == "seccodegen-dataflow" for f in new[0]["findings"]) and other in new[0]["findings"]
    assert (new[1]["secure_static"], new[1]["secure"]) == (True, True)  # the stale finding is gone
    assert stale not in new[1]["findings"] and new[1]["analyzers"]["seccodegen-dataflow"] == "ok"
    assert new[2] == records[2]  # invalid: not analysed
    assert read_jsonl(tmp_path / "cell.judged.before-analyzer-rejudge.jsonl") == records


def test_analyzers_mode_keeps_to_the_scenarios_asked_for(script, tmp_path: Path) -> None:
    judged = tmp_path / "cell.judged.jsonl"
    records = [_record(0, SCENARIO.completions.vulnerable[0], False, analyzers={"gcc-warnings": "ok"})]
    judged.write_text("".join(json.dumps(r) + "\n" for r in records))
    line = script("rejudge_security_tests").process(
        judged, _args(analyzers="seccodegen-dataflow", cache_dir=None, scenario=["c/cwe-125/month-abbrev"])
    )
    assert "0 samples judged again" in line and read_jsonl(judged) == records
