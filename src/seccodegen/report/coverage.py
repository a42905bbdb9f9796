"""How many scenarios each ratio covers: an evaluation-only suite (prompts without unit tests or
security tests) gives valid and secure ratios for every scenario, but secure&correct only for the
scenarios with tests (judged with --allow-exec), and ``exploited`` only for those with security tests.
"""

from __future__ import annotations

import pandas as pd

from seccodegen.report.render import Section

# (ratio, the column that must be non-null for a sample to count, whether the sample must be valid)
COVERAGE_RATIOS = (
    ("valid", None, False),
    ("secure", "secure", True),
    ("secure&correct", "correct", False),
    ("exploited", "exploited", True),
)


def coverage_table(samples: pd.DataFrame) -> pd.DataFrame:
    """One row per ratio: scenarios with at least one sample counted in it, of all judged scenarios.

    Empty when the results have no ``scenario_id`` column (external records); ``exploited`` only
    when the results have that column.
    """
    if "scenario_id" not in samples.columns or samples.empty:
        return pd.DataFrame()
    total = samples["scenario_id"].nunique()
    rows = []
    for name, column, valid_only in COVERAGE_RATIOS:
        if column is not None and column not in samples.columns:
            continue
        counted = samples[samples["valid"]] if valid_only else samples
        if column is not None:
            counted = counted[counted[column].notna()]
        rows.append({"ratio": name, "scenarios": int(counted["scenario_id"].nunique()), "of": int(total)})
    return pd.DataFrame(rows)


def coverage_section(samples: pd.DataFrame) -> Section | None:
    table = coverage_table(samples)
    if table.empty:
        return None
    return Section(
        "Scenarios covered by each ratio",
        "scenarios = scenarios with at least one sample counted in that ratio. Scenarios without unit "
        "tests (or judged without --allow-exec) have no secure&correct; scenarios without security "
        "tests have no exploited.",
        table,
    )
