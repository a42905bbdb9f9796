"""scripts/per_scenario_shift.py: per-scenario shares of the pooled cells against a reference."""

from __future__ import annotations

import sys

import pandas as pd


def _rows(method: str, scenario: str, valid: int, secure: int, correct: int, n: int = 4) -> list[dict]:
    # the first `valid` samples are valid; of those the first `secure` secure, the first `correct` correct
    return [{"model": "m", "method": method, "language": "c", "scenario_id": scenario,
             "valid": i < valid, "secure": i < secure, "correct": i < correct} for i in range(n)]  # fmt: skip


def test_a_scenario_that_rose_and_one_that_fell(script, tmp_path, capsys, monkeypatch) -> None:
    rows = (_rows("base", "a", 4, 1, 4) + _rows("tuned", "a", 4, 4, 4)  # secured, still correct
            + _rows("base", "b", 4, 4, 4) + _rows("tuned", "b", 2, 2, 1))  # fmt: skip  (broken behaviour)
    df = pd.DataFrame(rows)
    shares = script("per_scenario_shift").shares(df[df.method == "tuned"])
    assert shares.loc["b"].to_dict() == {"valid": 0.5, "secure|valid": 1.0, "correct|valid": 0.5,
                                         "secure&correct": 0.25}  # fmt: skip
    path = tmp_path / "results.parquet"
    df.to_parquet(path)
    monkeypatch.setattr(sys, "argv", ["per_scenario_shift.py", str(path), "--model", "m", "--reference", "base",
                                      "--cells", "tuned"])  # fmt: skip
    script("per_scenario_shift").main()
    out = capsys.readouterr().out
    assert "rose by more than 5 points in 1 of 2 scenarios" in out and "secure|valid +75.0" in out
    assert "fell by more than 5 points in 1 of 2 scenarios" in out and "correct|valid -50.0" in out
    assert out.index("  b:") < out.index("  a:")  # the one that fell most first
