"""report/summary.py: the headline lines printed after a run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from seccodegen.report.summary import CAPTION, summary_lines

ROW = {
    "model": "m", "method": "base", "granularity": "-", "dataset_size": "-", "prompt_style": "baseline",
    "language": "c", "total": 30, "valid": 20, "decided": 18, "secure": 9, "tested": 18, "secure_correct": 6,
}  # fmt: skip


def _report(tmp_path: Path, rows: list[dict]) -> Path:
    (tmp_path / "tables").mkdir()
    pd.DataFrame(rows).to_csv(tmp_path / "tables" / "ratios.csv", index=False)
    return tmp_path / "report.html"


def test_one_line_per_cell_and_language_with_counts_and_shares(tmp_path: Path) -> None:
    lines = summary_lines(_report(tmp_path, [ROW, {**ROW, "language": "cpp", "decided": 0, "secure": 0}]))
    assert lines[0] == CAPTION
    assert lines[1].split() == ["model", "method", "setting", "language", "valid", "secure", "secure&correct"]
    assert lines[2].split() == ["m", "base", "-/-/baseline", "c", "20/30", "(67%)", "9/18", "(50%)", "6/18", "(33%)"]
    assert "0/0" in lines[3] and "(" not in lines[3].split("0/0")[1].split()[0]  # no share of nothing


def test_a_large_grid_is_cut_and_points_to_the_table(tmp_path: Path) -> None:
    report = _report(tmp_path, [{**ROW, "method": f"m{i}"} for i in range(30)])
    lines = summary_lines(report, limit=5)
    assert len(lines) == 2 + 5 + 1 and lines[-1].startswith("... 25 more lines in ")


def test_no_ratios_table_means_no_summary(tmp_path: Path) -> None:
    assert summary_lines(tmp_path / "report.html") == []
