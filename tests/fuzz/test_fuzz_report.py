"""Fuzz the report's inputs (results CSV/JSONL/parquet, HumanEval CSV) through ``seccodegen report``.

The oracle is an independent reading of the table (strict CSV, the documented cell values): a
table it accepts must give exactly its counts; a table it rejects must give a one-line error.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pandas as pd
from fuzz_harness import byte_corruption, fuzz_settings, invoke, record, write
from hypothesis import given
from hypothesis import strategies as st

FIX = Path(__file__).parents[1] / "fixtures" / "report"
RESULTS = (FIX / "results.csv").read_bytes()
HUMANEVAL = (FIX / "humaneval.csv").read_bytes()
COORDS = ["model", "method", "granularity", "dataset_size", "prompt_style"]
LANGS = {"c", "cpp", "python", "java"}
NULL = {"", "None", "null", "NaN", "nan", "<NA>"}
TOKENS = ["maybe", "1", "0", "00", "", "cobol", "True", "False", "sometimes", "None", "true", "-", "ten", "11", "-3", "2.5"]


def _bool(cell: str, nullable: bool) -> tuple[bool, bool | None]:
    """(ok, value) of a boolean cell under the documented spelling."""
    s = cell.strip()
    if s in ("True", "true", "TRUE"):
        return True, True
    if s in ("False", "false", "FALSE"):
        return True, False
    return (nullable and s in NULL), None


def _rows(data: bytes) -> tuple[list[str], list[list[str]]] | None:
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
        rows = [r for r in csv.reader(io.StringIO(text, newline=""), strict=True) if r and r != [""]]
    except (UnicodeDecodeError, csv.Error):
        return None
    if not rows:
        return None
    header = [h.strip() for h in rows[0]]
    if len(set(header)) != len(header) or any(len(r) != len(header) for r in rows[1:]) or len(rows) < 2:
        return None
    return header, rows[1:]


def reference_counts(data: bytes) -> dict | None:
    """{(coords..., language): (total, valid, decided, secure)} or None when the table is invalid."""
    parsed = _rows(data)
    if parsed is None:
        return None
    header, body = parsed
    if not {"language", "cwe", "valid", "secure"} <= set(header):
        return None
    out: dict = {}
    for cells in body:
        row = dict(zip(header, cells))
        ok_v, valid = _bool(row["valid"], False)
        ok_s, secure = _bool(row["secure"], True)
        ok_c, _ = _bool(row.get("correct", ""), True)
        if not (ok_v and ok_s and ok_c) or row["language"] not in LANGS:
            return None
        key = tuple(row.get(c, "-") for c in COORDS) + (row["language"],)
        total, nvalid, decided, nsecure = out.get(key, (0, 0, 0, 0))
        decided_here = bool(valid) and secure is not None
        out[key] = (total + 1, nvalid + bool(valid), decided + decided_here, nsecure + (decided_here and secure))
    return out


def report_counts(out: Path) -> dict:
    df = pd.read_csv(out / "tables" / "ratios.csv", dtype=str, keep_default_na=False)
    return {
        tuple(r[c] for c in COORDS) + (r["language"],): (int(r["total"]), int(r["valid"]), int(r["decided"]), int(r["secure"]))
        for _, r in df.iterrows()
    }


def _report(tmp: Path, results: Path, *extra: str) -> tuple[int, BaseException | None, Path]:
    out = tmp / "out"
    rc, exc, _ = invoke(["report", str(results), "--out", str(out), "--force", "--set", "plots=false", *extra])
    return rc, exc, out


@st.composite
def csv_corruption(draw: st.DrawFn, data: bytes) -> tuple[str, bytes]:
    """Byte damage, or a table-level one: a cell replaced, a column removed, a cell added."""
    if draw(st.booleans()):
        return draw(byte_corruption(data))
    header, body = _rows(data)  # type: ignore[misc]
    rows = [header] + [list(r) for r in body]
    how = draw(st.sampled_from(["cell", "drop_column", "extra_cell"]))
    r = draw(st.integers(1, len(rows) - 1))
    c = draw(st.integers(0, len(header) - 1))
    if how == "cell":
        rows[r][c] = draw(st.sampled_from(TOKENS))
    elif how == "drop_column":
        rows = [row[:c] + row[c + 1 :] for row in rows]
    else:
        rows[r].append("extra")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return f"{how}@{r},{c}", buf.getvalue().encode()


def _intact(tmp: Path, name: str, data: bytes, *extra: str) -> dict:
    rc, exc, out = _report(tmp / "intact", write(tmp / "intact" / name, data), *extra)
    assert rc == 0, exc
    return report_counts(out)


@fuzz_settings(25)
@given(data=st.data())
def test_results_csv(tmp_path_factory, data) -> None:
    tmp = tmp_path_factory.mktemp("rep")
    how, bad = data.draw(csv_corruption(RESULTS), label="corruption")
    expected = reference_counts(bad)
    rc, exc, out = _report(tmp, write(tmp / "results.csv", bad))
    if expected is None:
        assert exc is not None, f"{how}: invalid table accepted (exit {rc})"
        record("report results.csv", "error")
        return
    assert exc is None, f"{how}: valid table rejected: {exc}"
    assert report_counts(out) == expected, f"{how}: counts differ from the table's"
    record("report results.csv", "same" if expected == reference_counts(RESULTS) else "valid")


def _jsonl_from_csv(data: bytes) -> bytes:
    header, body = _rows(data)  # type: ignore[misc]
    lines = []
    for cells in body:
        row: dict = dict(zip(header, cells))
        for col in ("valid", "secure", "correct"):
            row[col] = _bool(row[col], True)[1]
        lines.append(json.dumps(row))
    return ("\n".join(lines) + "\n").encode()


@fuzz_settings(10)
@given(data=st.data())
def test_results_jsonl(tmp_path_factory, data) -> None:
    tmp = tmp_path_factory.mktemp("repj")
    intact = _jsonl_from_csv(RESULTS)
    how, bad = data.draw(byte_corruption(intact), label="corruption")
    rc, exc, out = _report(tmp, write(tmp / "results.jsonl", bad))
    if exc is not None:
        record("report results.jsonl", "error")
        return
    # accepted: every line parsed, so the counts must be the intact ones or a valid variant's
    got = report_counts(out)
    same = got == _intact(tmp, "results.jsonl", intact)
    if not same:  # the damage left valid JSON records: check them against the documented values
        recs = [json.loads(x) for x in bad.decode().splitlines() if x.strip()]
        assert all(r.get("valid") in (True, False) and r.get("language") in LANGS for r in recs), how
    record("report results.jsonl", "same" if same else "valid")


def _parquet_as_csv(data: bytes, tmp: Path) -> bytes | None:
    """Independent oracle: the table pyarrow decodes (verifying page checksums) as CSV, or None."""
    import pyarrow.parquet as pq

    p = write(tmp / "oracle.parquet", data)
    try:
        df = pq.read_table(p, page_checksum_verification=True).to_pandas()
    except Exception:  # noqa: BLE001 - any decoding failure means: the report must refuse it too
        return None
    return df.to_csv(index=False).encode()


@fuzz_settings(10)
@given(data=st.data())
def test_results_parquet(tmp_path_factory, data) -> None:
    tmp = tmp_path_factory.mktemp("repp")
    src = tmp / "src.parquet"
    pd.read_csv(io.BytesIO(RESULTS)).to_parquet(src, index=False, write_page_checksum=True)
    intact = src.read_bytes()
    how, bad = data.draw(byte_corruption(intact), label="corruption")
    decoded = _parquet_as_csv(bad, tmp)
    expected = reference_counts(decoded) if decoded is not None else None
    rc, exc, out = _report(tmp, write(tmp / "results.parquet", bad))
    if expected is None:
        assert exc is not None, f"{how}: unreadable or invalid parquet accepted"
        record("report results.parquet", "error")
        return
    assert exc is None, f"{how}: readable valid parquet rejected: {exc}"
    assert report_counts(out) == expected, f"{how}: counts differ from the decoded table's"
    record("report results.parquet", "same" if report_counts(out) == _intact(tmp, "r.parquet", intact) else "valid")


def reference_humaneval(data: bytes) -> Counter | None:
    parsed = _rows(data)
    if parsed is None:
        return None
    header, body = parsed
    if not {"task_id", "n", "c"} <= set(header):
        return None
    passed: Counter = Counter()
    for cells in body:
        row = dict(zip(header, cells))
        n, c = row["n"].strip(), row["c"].strip()
        if not (n.isdigit() and c.isdigit()) or not 0 < int(n) >= int(c) or row["task_id"].strip() in NULL:
            return None
        passed[tuple(row.get(k, "-") for k in COORDS)] += int(c)
    return passed


@fuzz_settings(15)
@given(data=st.data())
def test_humaneval_csv(tmp_path_factory, data) -> None:
    tmp = tmp_path_factory.mktemp("he")
    results = write(tmp / "results.csv", RESULTS)
    how, bad = data.draw(csv_corruption(HUMANEVAL), label="corruption")
    expected = reference_humaneval(bad)
    rc, exc, out = _report(tmp, results, "--humaneval", str(write(tmp / "humaneval.csv", bad)))
    if expected is None:
        assert exc is not None, f"{how}: invalid HumanEval table accepted"
        record("report humaneval.csv", "error")
        return
    assert exc is None, f"{how}: valid HumanEval table rejected: {exc}"
    table = pd.read_csv(out / "tables" / "humaneval.csv", dtype=str, keep_default_na=False)
    got = Counter({tuple(r[k] for k in COORDS): int(r["passed samples"].split("/")[0]) for _, r in table.iterrows()})
    assert +got == +expected, how
    record("report humaneval.csv", "same" if expected == reference_humaneval(HUMANEVAL) else "valid")
