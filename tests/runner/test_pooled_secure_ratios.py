"""scripts/pooled_secure_ratios.py: pooled C/C++ ratios, Fisher's tests, and pools of cells."""

from __future__ import annotations

import sys

import pandas as pd
import pytest


def _rows(method: str, valid: int, secure: int, correct: int, n: int) -> list[dict]:
    # the first `valid` samples are valid; of those the first `secure` secure, the first `correct` correct
    return [{"model": "m", "method": method, "language": "c", "valid": i < valid,
             "secure": i < secure if i < valid else None, "correct": i < correct} for i in range(n)]  # fmt: skip


def _run(script, monkeypatch, tmp_path, rows: list[dict], *args: str) -> None:
    """The script's main() on ``rows`` written as results.parquet, with ``args`` after its path."""
    path = tmp_path / "results.parquet"
    pd.DataFrame(rows).to_parquet(path)
    monkeypatch.setattr(sys, "argv", ["pooled_secure_ratios.py", str(path), *args])
    script("pooled_secure_ratios").main()


def test_a_pool_of_two_seeds_sums_their_samples(script, tmp_path, capsys, monkeypatch) -> None:
    rows = _rows("base", 10, 5, 10, 10) + _rows("s1", 8, 6, 8, 10) + _rows("s2", 6, 6, 3, 10)
    _run(script, monkeypatch, tmp_path, rows, "--reference", "base", "--pool", "both=s1,s2")
    out = capsys.readouterr().out
    # 20 samples, 14 valid, 12 of them secure, 6 + 3 secure and correct
    assert "| both | 20 | 14 (70.0%) | 12/14 (85.7%) | 9 (45.0%) |" in out
    assert "| s1 | 10 | 8 (80.0%) | 6/8 (75.0%) | 6 (60.0%) |" in out


def test_a_pool_of_an_unknown_cell_is_a_one_line_error(script, tmp_path, monkeypatch) -> None:
    with pytest.raises(SystemExit, match="--pool both=s1,s9: expected NAME=A,B with cells among"):
        _run(script, monkeypatch, tmp_path, _rows("base", 2, 1, 2, 2), "--pool", "both=s1,s9")


def test_a_judged_file_joins_as_a_cell_and_can_be_the_reference(
    script, tmp_path, capsys, monkeypatch
) -> None:
    judged = tmp_path / "old.judged.jsonl.gz"
    # a judged file carries other fields too (and no model/method); a C++ row counts, a Python row not
    extra = [{"language": "python", "valid": True, "secure": True, "correct": True, "id": "p"}]
    cpp = [dict(r, language="cpp", id=str(i)) for i, r in enumerate(_rows("x", 10, 5, 10, 10))]
    pd.DataFrame(cpp + extra).drop(columns=["model", "method"]).to_json(judged, orient="records", lines=True)
    _run(script, monkeypatch, tmp_path, _rows("tuned", 8, 6, 8, 10),
         "--model", "m", "--reference", "old", "--cell", f"old={judged}")  # fmt: skip
    out = capsys.readouterr().out
    assert "| old | 10 | 10 (100.0%) | 5/10 (50.0%) | 5 (50.0%) |  |  |" in out
    assert "| tuned | 10 | 8 (80.0%) | 6/8 (75.0%) | 6 (60.0%) | 0.37 |" in out


def test_a_cell_file_that_is_not_judged_is_a_one_line_error(script, tmp_path, monkeypatch) -> None:
    samples = tmp_path / "samples.jsonl"
    samples.write_text('{"language": "c", "completion": "x"}\n')
    with pytest.raises(
        SystemExit, match="lacks \\['correct', 'secure', 'valid'\\]; pass a judged results file"
    ):
        _run(script, monkeypatch, tmp_path, _rows("base", 2, 1, 2, 2), "--cell", f"old={samples}")


def test_a_recipes_dataset_sizes_are_rows_of_their_own(script, tmp_path, capsys, monkeypatch) -> None:
    sized = [dict(r, dataset_size=size) for size, r in
             [("172", r) for r in _rows("sub", 4, 4, 4, 10)] + [("344", r) for r in _rows("sub", 8, 2, 8, 10)]]  # fmt: skip
    base = [dict(r, dataset_size="-") for r in _rows("base", 10, 5, 10, 10)]
    full = [dict(r, dataset_size="all") for r in _rows("sub-all", 6, 6, 6, 10)]
    _run(script, monkeypatch, tmp_path, base + sized + full, "--pool", "both=sub/172,sub/344")
    out = capsys.readouterr().out
    assert "| sub/172 | 10 | 4 (40.0%) | 4/4 (100.0%) |" in out
    assert "| sub/344 | 10 | 8 (80.0%) | 2/8 (25.0%) |" in out
    assert "| sub-all | 10 |" in out and "| both | 20 | 12 (60.0%) | 6/12 (50.0%) |" in out


def test_a_pool_can_be_the_reference_and_an_unknown_one_is_a_one_line_error(
    script, tmp_path, capsys, monkeypatch
) -> None:
    rows = _rows("s1", 8, 6, 8, 10) + _rows("s2", 6, 6, 3, 10) + _rows("new", 10, 5, 10, 10)
    _run(script, monkeypatch, tmp_path, rows, "--pool", "seeds=s1,s2", "--reference", "seeds")
    out = capsys.readouterr().out
    assert "| seeds | 20 | 14 (70.0%) | 12/14 (85.7%) | 9 (45.0%) |  |  |" in out
    assert "| new | 10 | 10 (100.0%) | 5/10 (50.0%) | 5 (50.0%) | 0.085 |" in out
    with pytest.raises(SystemExit, match="--reference nope: not among the cells"):
        _run(script, monkeypatch, tmp_path, rows, "--reference", "nope")
