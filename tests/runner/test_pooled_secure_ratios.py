"""scripts/pooled_secure_ratios.py: pooled C/C++ ratios, Fisher's tests, and pools of cells."""

from __future__ import annotations

import sys

import pandas as pd
import pytest


def _rows(method: str, valid: int, secure: int, correct: int, n: int) -> list[dict]:
    # the first `valid` samples are valid; of those the first `secure` secure, the first `correct` correct
    return [{"model": "m", "method": method, "language": "c", "valid": i < valid,
             "secure": i < secure if i < valid else None, "correct": i < correct} for i in range(n)]  # fmt: skip


def test_a_pool_of_two_seeds_sums_their_samples(script, tmp_path, capsys, monkeypatch) -> None:
    df = pd.DataFrame(_rows("base", 10, 5, 10, 10) + _rows("s1", 8, 6, 8, 10) + _rows("s2", 6, 6, 3, 10))
    path = tmp_path / "results.parquet"
    df.to_parquet(path)
    monkeypatch.setattr(sys, "argv", ["pooled_secure_ratios.py", str(path), "--reference", "base",
                                      "--pool", "both=s1,s2"])  # fmt: skip
    script("pooled_secure_ratios").main()
    out = capsys.readouterr().out
    # 20 samples, 14 valid, 12 of them secure, 6 + 3 secure and correct
    assert "| both | 20 | 14 (70.0%) | 12/14 (85.7%) | 9 (45.0%) |" in out
    assert "| s1 | 10 | 8 (80.0%) | 6/8 (75.0%) | 6 (60.0%) |" in out


def test_a_pool_of_an_unknown_cell_is_a_one_line_error(script, tmp_path, monkeypatch) -> None:
    path = tmp_path / "results.parquet"
    pd.DataFrame(_rows("base", 2, 1, 2, 2)).to_parquet(path)
    monkeypatch.setattr(sys, "argv", ["pooled_secure_ratios.py", str(path), "--pool", "both=s1,s9"])
    with pytest.raises(SystemExit, match="--pool both=s1,s9: expected NAME=A,B with cells among"):
        script("pooled_secure_ratios").main()
