"""What the report reads: the results and HumanEval tables, checked cell by cell against these columns.

``valid``/``secure``/``correct`` are booleans or empty (undecided / tests not run), nothing else;
``language`` is one the judge knows; counts are whole numbers with ``c <= n``. A table that does
not fit is an error naming file, row and column: a report is never built from a guess.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from seccodegen.errors import InputError
from seccodegen.inputs.csvfile import read_csv
from seccodegen.inputs.files import check_file
from seccodegen.inputs.schema import Column, to_bool, to_count, to_positive, to_text, validate_rows
from seccodegen.judge.items import LANGUAGES
from seccodegen.records import read_jsonl

RESULTS_COLUMNS = (
    Column("language", to_text, allowed=LANGUAGES, help="c, cpp, python or java"),
    Column("cwe", to_text, nullable=True, help="the scenario's CWE id, e.g. CWE-787"),
    Column("valid", to_bool, help="true when the sample compiled"),
    Column("secure", to_bool, nullable=True, help="true/false, empty when undecided"),
    Column("correct", to_bool, required=False, nullable=True, help="true/false, empty when tests did not run"),
    # the judge's per-oracle verdicts, when it wrote them
    Column("secure_static", to_bool, required=False, nullable=True),
    Column("secure_dynamic", to_bool, required=False, nullable=True),
    Column("exploited", to_bool, required=False, nullable=True),
)
HUMANEVAL_COLUMNS = (
    Column("task_id", to_text, help="the HumanEval task"),
    Column("n", to_positive, help="samples of the task (pass@k needs at least one)"),
    Column("c", to_count, help="samples that passed"),
)


def _raw_rows(path: Path) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    """``([(where, cells)], column names)`` of a .csv/.parquet/.jsonl(.gz) table, nothing converted."""
    if path.suffix == ".csv":
        table = read_csv(path, "a results table")
        return [(f"line {r.line}", r.cells) for r in table.rows], table.columns
    if path.suffix == ".parquet":
        check_file(path, "a results table")
        try:
            df = pd.read_parquet(path, page_checksum_verification=True)  # checks pages that carry a CRC
        except Exception as exc:  # pyarrow raises many types (ArrowInvalid, OSError, ...) for damage
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"{path}: not a readable parquet table ({first})") from None
        records = df.astype(object).where(df.notna(), None).to_dict("records")
        return [(f"row {i + 1}", r) for i, r in enumerate(records)], [str(c) for c in df.columns]
    if path.suffix in (".jsonl", ".gz"):
        records = read_jsonl(path)
        names: dict[str, None] = {}
        for r in records:
            names.update(dict.fromkeys(r))
        return [(f"line {i + 1}", r) for i, r in enumerate(records)], list(names)
    raise InputError(f"{path}: unknown table format (use .parquet, .csv or .jsonl)")


def read_checked(path: Path, columns: tuple[Column, ...]) -> pd.DataFrame:
    rows, names = _raw_rows(path)
    checked = validate_rows(rows, columns, str(path), names)
    if columns is HUMANEVAL_COLUMNS:
        for (where, _), row in zip(rows, checked):
            if row["c"] > row["n"]:
                raise InputError(f"{path}: {where}: c={row['c']} passed samples is more than n={row['n']}")
    df = pd.DataFrame(checked, columns=names)
    for col in columns:  # keep True/False/None as objects: pandas would turn None into False or NaN
        if col.name in df.columns and col.convert is to_bool:
            df[col.name] = pd.Series([r[col.name] for r in checked], dtype=object, index=df.index)
    return df
