"""Real-code calibration: SVEN/SafeCoder pair records become before (vulnerable) / after (fixed) cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seccodegen.errors import InputError
from seccodegen.judge.calibration import Outcome
from seccodegen.judge.calibration_pairs import pair_cases, pair_language, pairs_summary


def _pair(name: str, file_name: str, vul_type: str, before: str, after: str) -> dict:
    return {
        "func_name": name, "func_src_before": before, "func_src_after": after, "line_changes": {},
        "char_changes": {}, "commit_link": "", "file_name": file_name, "vul_type": vul_type,
    }  # fmt: skip


def _write(path: Path, records: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_language_from_extension() -> None:
    assert pair_language("lib/a.c") == "c" and pair_language("x.cc") == "cpp"
    assert pair_language("err.C") == "cpp" and pair_language("a.CPP") == "cpp"
    assert pair_language("app.py") is None and pair_language("Makefile") is None


def test_pairs_become_cases_once_and_only_for_c_cpp(tmp_path: Path) -> None:
    c_pair = _pair(
        "f",
        "src/f.c",
        "cwe-125",
        "int f(int *a,int i){return a[i];}",
        "int f(int *a,int i){return i<4?a[i]:0;}",
    )
    _write(tmp_path / "sven" / "cwe-125.jsonl", [c_pair, _pair("g", "g.py", "cwe-078", "a", "b")])
    _write(
        tmp_path / "safecoder" / "sec-desc.jsonl",
        [
            dict(c_pair, description="same pair again"),  # counted once
            _pair("h", "h.cc", "cwe-787", "void h(){}", "void h(){ }"),
            _pair("same", "s.c", "cwe-476", "void s(){}", "void s(){}"),  # no change: skipped
            {"instruction": "general chat data", "output": "..."},  # other record kinds: skipped
        ],
    )
    cases = pair_cases(tmp_path)
    assert [(c.group, c.item.language, c.vulnerable) for c in cases] == [
        ("CWE-125", "c", True),
        ("CWE-125", "c", False),
        ("CWE-787", "cpp", True),
        ("CWE-787", "cpp", False),
    ]  # fmt: skip (files in path order: safecoder/ before sven/)
    before = next(c for c in cases if c.group == "CWE-125" and c.vulnerable)
    assert before.item.code == c_pair["func_src_before"] and before.item.target_cwe == "CWE-125"
    assert before.item.source_name == "f.c" and before.item.scenario is None


def test_bad_pair_files_say_what_to_fix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        pair_cases(tmp_path / "missing")
    with pytest.raises(InputError, match="no \\*.jsonl"):
        pair_cases(tmp_path)
    (tmp_path / "a.jsonl").write_text("{not json\n")
    with pytest.raises(InputError, match="a.jsonl:1: not JSON"):
        pair_cases(tmp_path)
    _write(tmp_path / "a.jsonl", [_pair("f", "f.c", "buffer", "a", "b")])
    with pytest.raises(InputError, match="vul_type 'buffer'"):
        pair_cases(tmp_path)


def test_pairs_summary_counts_told_apart(tmp_path: Path) -> None:
    records = [_pair(n, f"{n}.c", "cwe-787", f"void {n}(){{}}", f"void {n}(){{ }}") for n in "abc"]
    _write(tmp_path / "p.jsonl", records)
    cases = pair_cases(tmp_path)
    verdicts = {"a": (True, False), "b": (True, True), "c": (False, True)}  # before, after flagged
    outs = []
    for c in cases:
        name = c.name.split(":")[2]
        outs.append(Outcome(c, verdicts[name][0 if c.vulnerable else 1]))
    assert pairs_summary(outs) == (
        "pairs: 3; told apart (before flagged, after not): 1; both flagged: 1; only the fix flagged: 1"
    )
