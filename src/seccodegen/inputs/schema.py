"""Column specs for tables and records: each cell's type and allowed values, checked on read.

A cell that does not fit raises InputError naming file, row (or line) and column; nothing is
guessed (``maybe`` is not a boolean, ``1`` is not ``True``, ``ten`` is not a count).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from seccodegen.errors import InputError

NULL_TEXT = ("", "None", "null", "NaN", "nan", "<NA>")  # how CSV writers spell a missing value
TRUE_TEXT = ("True", "true", "TRUE")
FALSE_TEXT = ("False", "false", "FALSE")


class CellError(ValueError):
    pass


def _is_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and value.strip() in NULL_TEXT:
        return True
    return type(value).__name__ in ("NAType", "NaTType")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    if isinstance(value, str) and value.strip() in TRUE_TEXT + FALSE_TEXT:
        return value.strip() in TRUE_TEXT
    raise CellError("expects true or false")


def to_count(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError("expects a whole number >= 0")
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():
            raise CellError("expects a whole number >= 0")
        return int(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CellError("expects a whole number >= 0") from None
    if not math.isfinite(number) or number < 0 or number != int(number):
        raise CellError("expects a whole number >= 0")
    return int(number)


def to_positive(value: Any) -> int:
    number = to_count(value)
    if number < 1:
        raise CellError("expects a whole number >= 1")
    return number


def to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise CellError("expects text")


@dataclass(frozen=True)
class Column:
    """One column: ``convert`` turns a cell into its value or raises CellError; ``allowed`` limits it."""

    name: str
    convert: Callable[[Any], Any]
    required: bool = True
    nullable: bool = False
    allowed: tuple[str, ...] = ()
    help: str = ""

    def value(self, cell: Any) -> Any:
        if _is_null(cell):
            if self.nullable:
                return None
            raise CellError("must not be empty")
        value = self.convert(cell)
        if self.allowed and value not in self.allowed:
            raise CellError(f"must be one of {', '.join(self.allowed)}")
        return value


def validate_rows(
    rows: Iterable[tuple[str, dict[str, Any]]], columns: Iterable[Column], source: str, present: Iterable[str]
) -> list[dict[str, Any]]:
    """Check and convert ``rows`` (``(where, cells)``, where = "line 3" / "row 3"); other columns pass.

    ``present`` are the table's column names: a required column that is absent is an error.
    """
    cols = list(columns)
    have = set(present)
    missing = [c for c in cols if c.required and c.name not in have]
    if missing:
        what = "; ".join(f"{c.name!r}{' (' + c.help + ')' if c.help else ''}" for c in missing)
        raise InputError(f"{source}: no column {what}")
    out = []
    for where, cells in rows:
        row = dict(cells)
        for col in cols:
            if col.name not in have:
                continue
            try:
                row[col.name] = col.value(cells.get(col.name))
            except CellError as exc:
                raise InputError(
                    f"{source}: {where}: column {col.name!r} {exc}, got {cells.get(col.name)!r}"
                ) from None
        out.append(row)
    return out
