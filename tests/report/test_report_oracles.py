"""The static-vs-dynamic table: three secure ratios side by side and the agreement of the two oracles."""

from __future__ import annotations

import pandas as pd

from seccodegen.report import tables


def _samples(dynamic: list) -> pd.DataFrame:
    return tables.normalise(
        pd.DataFrame(
            {
                "language": "c",
                "cwe": "CWE-787",
                "valid": [True, True, True, True, False],
                "secure_static": [True, True, False, None, True],
                "secure_dynamic": dynamic,
                "secure": [True, False, False, True, None],
            }
        )
    )


def test_ratios_agreement_and_disagreements() -> None:
    (row,) = tables.oracle_table(_samples([True, False, True, True, None])).to_dict("records")
    assert row["static secure"].startswith("2/3 ")  # the invalid sample is never counted
    assert row["dynamic secure"].startswith("3/4 ")
    assert row["combined secure"].startswith("2/4 ")
    assert row["agree"].startswith("1/3 ")  # samples 1-3 have both verdicts; only the first agrees
    assert (row["static only vulnerable"], row["dynamic only vulnerable"]) == (1, 1)


def test_no_dynamic_verdicts_no_table() -> None:
    assert tables.oracle_table(_samples([None] * 5)).empty
    assert tables.oracle_table(_samples([None] * 5).drop(columns=["secure_dynamic"])).empty
