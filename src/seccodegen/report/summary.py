"""The report's headline numbers as a few terminal lines, printed after ``run``, ``demo`` and
``report`` so a user sees what the run found without opening report.html.

Read from the report's ``tables/ratios.csv`` (the same counts as the report's tables): one line per
cell and language with valid / all, secure / decided valid and secure-and-correct / tested.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

RATIOS = Path("tables") / "ratios.csv"
COLUMNS = ("model", "method", "setting", "language", "valid", "secure", "secure&correct")
CAPTION = (
    "valid = compiles / all samples; secure = no vulnerability found / valid samples decided; "
    "secure&correct = also passes its unit tests / samples tested"
)
MAX_LINES = 24  # a large grid's summary stays on one screen; the rest is in ratios.csv


def _share(num: object, den: object) -> str:
    n, d = int(num), int(den)  # type: ignore[call-overload]
    return f"{n}/{d} ({100 * n / d:.0f}%)" if d else f"{n}/{d}"


def summary_lines(report: Path, limit: int = MAX_LINES) -> list[str]:
    """Aligned lines for the report whose report.html is ``report``; [] when it has no ratios table
    (a report of HumanEval-X runs only, or one written before this table existed)."""
    path = report.parent / RATIOS
    if not path.is_file():
        return []
    ratios = pd.read_csv(path, keep_default_na=False)
    if ratios.empty:
        return []
    rows = [
        (
            str(r["model"]), str(r["method"]),
            "/".join(str(r[c]) for c in ("granularity", "dataset_size", "prompt_style")),
            str(r["language"]),
            _share(r["valid"], r["total"]),
            _share(r["secure"], r["decided"]),
            _share(r["secure_correct"], r["tested"]),
        )
        for _, r in ratios.iterrows()
    ]  # fmt: skip
    shown = rows[:limit]
    widths = [max(len(x) for x in col) for col in zip(COLUMNS, *shown)]
    lines = [CAPTION] + [
        "  ".join(x.ljust(w) for x, w in zip(row, widths)).rstrip() for row in [COLUMNS, *shown]
    ]
    if len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more lines in {path}")
    return lines
