"""scripts/pair_text_counts.py: where a pattern sits in pair data (both sides, or added by the fix)."""

from __future__ import annotations

import json

FIXED_LOGS = 'int f(int n) {\n    if (n < 0) { fprintf(stderr, "bad\\n"); return -1; }\n    return n;\n}\n'
VULNERABLE_PLAIN = "int f(int n) {\n    return n;\n}\n"
BOTH_LOG = 'void g(char *s) {\n    fprintf(stderr, "%s", s);\n}\n'
BOTH_LOG_BEFORE = "void g(char *s) {\n    fprintf(stderr, s);\n}\n"


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_counts_sides_and_lines_the_fix_added(script, tmp_path, capsys):
    data = tmp_path / "train.jsonl"
    _write(data, [
        {"text": FIXED_LOGS, "before": VULNERABLE_PLAIN, "language": "c"},
        {"text": BOTH_LOG, "before": BOTH_LOG_BEFORE, "language": "c"},   # changed line logs on both sides
        {"text": "x = 1", "before": "x = 0", "language": "python"},
    ])  # fmt: skip
    counts = script("pair_text_counts")
    assert counts.main([str(data), "--languages", "c", "--pattern", r"stderr=\bstderr\b"]) == 0
    out = capsys.readouterr().out
    assert "pairs: 2" in out
    assert "| stderr | 2 | 1 | 1 |" in out  # fixed sides 2, vulnerable 1, added only by the first fix


def test_bad_input_is_a_one_line_error(script, tmp_path, capsys):
    counts = script("pair_text_counts")
    data = tmp_path / "train.jsonl"
    data.write_text('{"text": "a"}\n')
    assert counts.main([str(tmp_path / "missing.jsonl"), "--pattern", "a=b"]) == 2
    assert counts.main([str(data), "--pattern", "a=("]) == 2
    assert counts.main([str(data), "--pattern", "nameless"]) == 2
    err = capsys.readouterr().err
    assert "is not a file" in err and "--pattern a:" in err and "NAME=REGEX" in err
    assert counts.main([str(data), "--pattern", "a=b"]) == 2
    assert "not a pair record" in capsys.readouterr().err
    data.write_text("{not json\n")
    assert counts.main([str(data), "--pattern", "a=b"]) == 2
    assert f"{data}:1:" in capsys.readouterr().err
