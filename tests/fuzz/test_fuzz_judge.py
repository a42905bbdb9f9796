"""Fuzz ``seccodegen judge``'s samples file (JSONL and .jsonl.gz): every damaged line is either
judged as the valid record it still is, or listed in bad_lines.jsonl; file damage is one line."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import pytest
from fuzz_harness import (
    byte_corruption,
    dumps_jsonl,
    fuzz_settings,
    invoke,
    json_field_corruption,
    record,
    strict_jsonl,
    write,
)
from hypothesis import given
from hypothesis import strategies as st

SAFE_C = '#include <stdio.h>\nint main(void) {\n    char buf[8];\n    snprintf(buf, sizeof buf, "%s", "hi");\n    puts(buf);\n    return 0;\n}\n'
RECORDS = [
    {"id": "a", "language": "c", "cwe": "CWE-787", "code": SAFE_C},
    {"id": "b", "language": "c", "cwe": "CWE-787", "code": "int main( {\n"},
    {"id": "s", "scenario_id": "c/cwe-119/employee-record", "code": SAFE_C},
]
INTACT = dumps_jsonl(RECORDS)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("judge-cache")  # shared: each program is compiled once


@pytest.fixture(scope="module")
def intact(tmp_path_factory, cache_dir) -> list[tuple]:
    tmp = tmp_path_factory.mktemp("judge-intact")
    exc, results, n_bad = _judge(tmp, write(tmp / "i.jsonl", INTACT), cache_dir)
    assert exc is None and len(results) == 3 and n_bad == 0
    return results


def _judge(tmp: Path, samples: Path, cache: Path) -> tuple[BaseException | None, list[tuple], int]:
    out = tmp / "out"
    rc, exc, output = invoke(
        ["judge", str(samples), "--out", str(out), "--analyzers", "gcc-warnings", "--cache-dir", str(cache), "--force"]
    )
    if exc is not None:
        return exc, [], 0
    assert rc == 0, output
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    bad = (out / "bad_lines.jsonl").read_text().splitlines()
    return None, [(r["id"], r["valid"], r["secure"], r.get("code_sha256")) for r in results], len(bad)


def _classify(kind: str, how: str, exc, results: list[tuple], n_bad: int, intact: list[tuple], records) -> None:
    if exc is not None:
        record(kind, "error")
        return
    if n_bad:
        record(kind, "skip")
        return
    if results == intact:
        record(kind, "same")
        return
    # nothing recorded and other results: only right if the damaged file holds other valid records
    assert records is not None and records != RECORDS, f"{how}: silently different results"
    assert len(results) == len(records), f"{how}: a record vanished without a bad line"
    record(kind, "valid")


@fuzz_settings(12)
@given(data=st.data())
def test_samples_jsonl(tmp_path_factory, cache_dir, intact, data) -> None:
    tmp = tmp_path_factory.mktemp("judge")
    if data.draw(st.booleans(), label="field-level"):
        how, recs = data.draw(json_field_corruption(RECORDS), label="corruption")
        bad = dumps_jsonl(recs)
    else:
        how, bad = data.draw(byte_corruption(INTACT), label="corruption")
    exc, results, n_bad = _judge(tmp, write(tmp / "samples.jsonl", bad), cache_dir)
    _classify("judge samples.jsonl", how, exc, results, n_bad, intact, strict_jsonl(bad))


@fuzz_settings(6)
@given(data=st.data())
def test_samples_gz(tmp_path_factory, cache_dir, intact, data) -> None:
    tmp = tmp_path_factory.mktemp("judgegz")
    packed = gzip.compress(INTACT, mtime=0)
    how, bad = data.draw(byte_corruption(packed), label="corruption")
    try:
        records = strict_jsonl(gzip.decompress(bad))
    except (OSError, EOFError, ValueError, zlib.error):
        records = None
    exc, results, n_bad = _judge(tmp, write(tmp / "samples.jsonl.gz", bad), cache_dir)
    _classify("judge samples.jsonl.gz", how, exc, results, n_bad, intact, records)


def test_empty_and_plain_text_named_gz(tmp_path, cache_dir) -> None:
    exc, _, _ = _judge(tmp_path / "e", write(tmp_path / "empty.jsonl", b""), cache_dir)
    assert exc is not None and "holds no records" in str(exc)
    exc, _, _ = _judge(tmp_path / "g", write(tmp_path / "plain.jsonl.gz", INTACT), cache_dir)
    assert exc is not None and "gzip" in str(exc)


def test_unknown_scenario_and_wrong_types_are_bad_lines(tmp_path, cache_dir) -> None:
    recs = [dict(RECORDS[0]), {**RECORDS[2], "scenario_id": "c/no-such"}, {**RECORDS[0], "id": "x", "scenario_id": [1]}]
    exc, results, n_bad = _judge(tmp_path, write(tmp_path / "s.jsonl", dumps_jsonl(recs)), cache_dir)
    assert exc is None and [r[0] for r in results] == ["a"] and n_bad == 2
