"""CSV files read strictly: UTF-8, every row exactly as many cells as the header, quotes closed."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from seccodegen.errors import InputError
from seccodegen.inputs.files import read_text

MAX_FIELD_BYTES = 16 * 1024 * 1024  # one cell; BigVul's largest function bodies are ~1 MiB


@dataclass(frozen=True)
class CsvRow:
    line: int  # 1-based line where the row starts
    cells: dict[str, str]


@dataclass
class CsvTable:
    columns: list[str]
    rows: list[CsvRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, why) of rows skipped when lenient


def read_csv(path: str | Path, what: str = "a CSV file", lenient: bool = False) -> CsvTable:
    """A header CSV. A row with a wrong cell count or broken quoting raises InputError naming its
    line or, with ``lenient``, is left out and listed in ``errors`` (the caller records the skip)."""
    p = Path(path)
    text = read_text(p, what)
    csv.field_size_limit(MAX_FIELD_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"{p}:1: header is not valid CSV ({exc})") from None
    if not header or not any(h.strip() for h in header):
        raise InputError(f"{p}: empty CSV (no header row); give {what}")
    table = CsvTable([h.strip() for h in header])
    dupes = sorted({n for n in table.columns if table.columns.count(n) > 1})
    if dupes:
        raise InputError(f"{p}:1: duplicate column(s) {dupes}")

    def problem(line: int, why: str) -> None:
        if not lenient:
            raise InputError(f"{p}:{line}: {why}")
        table.errors.append((line, why))

    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return table
        except csv.Error as exc:
            # the reader cannot resynchronise after broken quoting: nothing after it is read
            problem(start, f"not valid CSV ({exc}); check the quotes from that line on")
            return table
        if not cells or cells == [""]:
            continue
        if len(cells) != len(table.columns):
            problem(start, f"{len(cells)} cells but the header has {len(table.columns)} columns")
            continue
        table.rows.append(CsvRow(start, dict(zip(table.columns, cells))))
