import math

import pandas as pd
import pytest

from seccodegen.report.stats import Ratio, fisher_exact, pass_at_k, wilson_interval
from seccodegen.report.tables import humaneval_table, ratio_rows


def test_wilson_known_values():
    lo, hi = wilson_interval(5, 10)
    assert math.isclose(lo, 0.2366, abs_tol=1e-4) and math.isclose(hi, 0.7634, abs_tol=1e-4)
    assert wilson_interval(0, 0) is None
    assert Ratio(0, 0).fmt() == "0/0 (n/a)"


def test_pass_at_k_matches_definition():
    # n=10, c=3: pass@1 = 0.3; pass@10 = 1 (any correct among all 10)
    assert math.isclose(pass_at_k(10, 3, 1), 0.3)
    assert pass_at_k(10, 3, 10) == 1.0 and pass_at_k(10, 0, 10) == 0.0
    # pass@2 = 1 - C(7,2)/C(10,2) = 1 - 21/45
    assert math.isclose(pass_at_k(10, 3, 2), 1 - 21 / 45)
    with pytest.raises(ValueError):
        pass_at_k(5, 1, 10)


def test_fisher_known_value():
    # the classic tea-tasting table [[3,1],[1,3]] has two-sided p = 0.4857
    assert math.isclose(fisher_exact(3, 4, 1, 4), 0.4857, abs_tol=1e-4)


def test_secure_ratio_excludes_invalid_and_undecided():
    df = pd.DataFrame(
        {"model": "m", "method": "base", "granularity": "-", "dataset_size": "-", "prompt_style": "baseline",
         "language": "c", "valid": [True, True, True, False], "secure": [True, False, None, None],
         "correct": [True, True, None, None]}
    )
    row = ratio_rows(df, ["model", "language"]).iloc[0]
    assert (row["total"], row["valid"], row["decided"], row["secure"], row["undecided"]) == (4, 3, 2, 1, 1)
    assert row["secure_correct"] == 1 and row["tested"] == 2


def test_humaneval_table_counts_significant_tasks():
    rows = []
    for t in range(3):
        rows.append(dict(model="m", method="base", task_id=t, n=10, c=10))
        rows.append(dict(model="m", method="lora", task_id=t, n=10, c=0 if t == 0 else 10))
    table = humaneval_table(pd.DataFrame(rows)).set_index("method")
    assert table.loc["base", "pass@1"] == 1.0
    assert math.isclose(table.loc["lora", "pass@1"], 2 / 3)
    assert table.loc["lora", "tasks p<0.05 vs base"] == 1


def test_humaneval_table_tests_against_the_untuned_run_when_no_base_row():
    # a grid whose pretrained model is sampled only through a recipe (base-chat): its one
    # HumanEval run carries that recipe's name, and the tuned rows are tested against it
    rows = []
    for t in range(3):
        rows.append(dict(model="m", method="base-chat", granularity="-", task_id=t, n=10, c=10))
        rows.append(dict(model="m", method="lora", granularity="function", task_id=t, n=10, c=0 if t == 0 else 10))
    table = humaneval_table(pd.DataFrame(rows)).set_index("method")
    assert table.loc["lora", "tasks p<0.05 vs base"] == 1
    assert table.loc["lora", "p vs base"] < 0.05
    assert pd.isna(table.loc["base-chat", "p vs base"])
    # two untuned runs and no base: no reference to pick
    rows += [dict(model="m", method="base-other", granularity="-", task_id=t, n=10, c=5) for t in range(3)]
    table = humaneval_table(pd.DataFrame(rows)).set_index("method")
    assert pd.isna(table.loc["lora", "p vs base"])
