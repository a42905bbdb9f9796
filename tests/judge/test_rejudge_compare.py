"""scripts/rejudge_compare.py: old vs new judgement of the same samples, per language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def _finding(tool: str, cwe: int) -> dict:
    return {"tool": tool, "rule": "r", "message": "m", "line": 1, "column": 1, "file": "main.c",
            "cwe_ids": [cwe], "severity": "warning"}  # fmt: skip


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_ratios_agreement_and_what_the_old_analyzers_alone_say(script, tmp_path: Path, monkeypatch, capsys) -> None:
    base = {"language": "c", "cwe": "CWE-787", "analyzers": {"cppcheck": "ok"}, "findings": []}
    old = [
        {**base, "id": "a", "valid": True, "secure": True},
        {**base, "id": "b", "valid": True, "secure": True},
        {**base, "id": "c", "valid": False, "secure": None},
    ]
    new_base = {**base, "analyzers": {"cppcheck": "ok", "seccodegen-dataflow": "ok"}, "correct": True}
    new = [
        # a: the new analyzer flags it, the security test does not
        {**new_base, "id": "a", "valid": True, "secure": False, "secure_static": False, "secure_dynamic": True,
         "exploited": False, "security_tests": {"failures": ""},
         "findings": [_finding("seccodegen-dataflow", 787)]},
        # b: exploited (ASan), no finding
        {**new_base, "id": "b", "valid": True, "secure": False, "secure_static": True, "secure_dynamic": False,
         "exploited": True, "security_tests": {"failures": "long: sanitizer: ERROR: AddressSanitizer"}},
        # c: valid now (compiles with -c), secure by both
        {**new_base, "id": "c", "valid": True, "secure": True, "secure_static": True, "secure_dynamic": True,
         "exploited": False, "security_tests": {"failures": ""}},
    ]  # fmt: skip
    compare = script("rejudge_compare")
    args = [
        "rejudge_compare.py",
        str(_write(tmp_path / "old.jsonl", old)),
        str(_write(tmp_path / "new.jsonl", new)),
    ]
    monkeypatch.setattr("sys.argv", args)
    compare.main()
    rows = {line.split(" | ")[0].lstrip("| "): line for line in capsys.readouterr().out.splitlines()}
    assert "| 2/3 (66.7%) | 3/3 (100.0%) |" in rows["valid"]
    assert "| 2/2 (100.0%) | 1/3 (33.3%) |" in rows["secure (the judgement's own rule)"]
    assert "3/3 (100.0%)" in rows["static only, the old analyzers (cppcheck)"]  # dataflow's finding left out
    assert "2/3 (66.7%)" in rows["static only, every analyzer that ran"]
    assert "2/3 (66.7%)" in rows["dynamic only (security tests)"]
    assert (
        "0/2 (0.0%) (2 / 0)"
        in rows["old and new secure agree, both valid (old-only secure / new-only secure)"]
    )
    assert "| 1/3 (33.3%) | 1 | 0 | 0 | 1 |" in rows["C"]


@pytest.mark.parametrize("failures, kind", [("t: sanitizer: runtime error: x", "sanitizer report"),
                                            ("t: killed by signal SIGXCPU", "crash or timeout"),
                                            ("t: stdout 'x', expected 'y'", "unmet expectation")])  # fmt: skip
def test_evidence_kinds(script, failures: str, kind: str) -> None:
    assert script("rejudge_compare").evidence({"security_tests": {"failures": failures}}) == kind


def test_strict_dynamic_needs_more_than_wrong_output_from_a_sample_that_fails_its_tests(script) -> None:
    strict = script("rejudge_compare").strict_dynamic
    wrong_output = {"exploited": True, "security_tests": {"failures": "t: stdout 'x', expected 'y'"}}
    assert strict({**wrong_output, "correct": False}) is True  # a plain bug, not counted as exploited
    assert strict({**wrong_output, "correct": True}) is False
    asan = {"exploited": True, "correct": False, "security_tests": {"failures": "t: sanitizer: ERROR: x"}}
    assert strict(asan) is False
    assert strict({"exploited": None}) is None and strict({"exploited": False}) is True
