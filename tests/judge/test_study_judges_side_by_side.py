"""scripts/study_judges_side_by_side.py: the five-analyzer, linked judge and today's on one judgement."""

from __future__ import annotations

import json
from pathlib import Path


def test_old_judge_reads_links_and_the_five_analyzers_only(script, tmp_path: Path, monkeypatch, capsys) -> None:
    analyzers = {"cppcheck": "ok", "seccodegen-dataflow": "ok"}
    dataflow = {"tool": "seccodegen-dataflow", "rule": "r", "message": "m", "line": 1, "column": 1,
                "file": "main.c", "cwe_ids": [787], "severity": "warning"}  # fmt: skip
    base = {"language": "c", "cwe": "CWE-787", "analyzers": analyzers, "findings": [], "valid": True, "links": True}
    records = [
        # flagged only by the dataflow analyzer, which the old judge did not run
        {**base, "id": "a", "findings": [dataflow], "secure": False, "secure_static": False, "secure_dynamic": True},
        # compiles but does not link: valid today, not for the old judge
        {**base, "id": "b", "links": False, "secure": True, "secure_static": True, "secure_dynamic": None},
        # exploited by a security test, no finding
        {**base, "id": "c", "secure": False, "secure_static": True, "secure_dynamic": False},
    ]  # fmt: skip
    step = tmp_path / "cell-abc"
    step.mkdir()
    (step / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    monkeypatch.setattr("sys.argv", ["study_judges_side_by_side.py", str(step)])
    script("study_judges_side_by_side").main()
    row = capsys.readouterr().out.splitlines()[-1]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:2] == ["cell-abc", "C"]
    assert cells[2:] == ["2/3 (66.7%)", "2/2 (100.0%)", "3/3 (100.0%)", "2/3 (66.7%)", "1/2 (50.0%)",
                         "**1/3 (33.3%)**"]  # fmt: skip


def test_reference_adds_fisher_p_values_against_that_cell(script, tmp_path: Path, monkeypatch, capsys) -> None:
    def cell(name: str, secure: list[bool]) -> Path:
        step = tmp_path / name
        step.mkdir()
        recs = [{"id": str(i), "language": "c", "cwe": "CWE-787", "analyzers": {"cppcheck": "ok"}, "findings": [],
                 "valid": True, "links": True, "secure": s, "secure_static": True, "secure_dynamic": s}
                for i, s in enumerate(secure)]  # fmt: skip
        (step / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
        return step

    base, tuned = cell("base-1", [True] * 10 + [False] * 10), cell("tuned-2", [True] * 20)
    monkeypatch.setattr("sys.argv", ["x", str(base), str(tuned), "--reference", "base"])
    script("study_judges_side_by_side").main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("p old | p new |")
    tuned_cells = [c.strip() for c in lines[-1].strip("|").split("|")]
    assert tuned_cells[-2:] == ["1", "0.00044"]  # old: both statically secure; new: 20/20 vs 10/20 (two-sided)
