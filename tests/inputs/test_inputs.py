"""The reading layer: what is at a path, UTF-8 with offsets, gzip damage, nesting/alias limits, CSV, columns."""

from __future__ import annotations

import gzip
import os

import pytest

from seccodegen.errors import InputError
from seccodegen.inputs import check_file, iter_lines, parse_json, parse_yaml, read_text
from seccodegen.inputs.csvfile import read_csv
from seccodegen.inputs.schema import Column, to_bool, to_count, validate_rows
from seccodegen.inputs.structured import ParseError


def test_check_file_names_what_is_there(tmp_path) -> None:
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "dir").mkdir()
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "dangling").symlink_to(tmp_path / "nothing")
    expect = {"fifo": "FIFO", "dir": "directory", "loop": "link loop", "dangling": "dangling", "missing": "does not exist"}
    for name, words in expect.items():
        with pytest.raises(InputError, match=words):
            check_file(tmp_path / name)


def test_utf8_error_names_byte_offset_and_line(tmp_path) -> None:
    p = tmp_path / "x.txt"
    p.write_bytes(b"ok\nab\xffc\n")
    with pytest.raises(InputError, match=r"byte offset 5: not UTF-8 \(byte 0xff\)"):
        read_text(p)
    lines = list(iter_lines(p))
    assert lines[0].text == "ok\n" and lines[1].text is None and "byte offset 5" in (lines[1].error or "")


def test_gzip_damage_is_one_line(tmp_path) -> None:
    p = tmp_path / "x.jsonl.gz"
    p.write_bytes(gzip.compress(b'{"a": 1}\n' * 1000)[:-20])
    with pytest.raises(InputError, match="truncated or corrupt gzip"):
        list(iter_lines(p))
    p.write_bytes(b'{"a": 1}\n')  # plain text named .gz
    with pytest.raises(InputError, match="gzip"):
        read_text(p)


def test_json_and_yaml_limits() -> None:
    with pytest.raises(ParseError, match="nested deeper"):
        parse_json("[" * 100 + "]" * 100)
    with pytest.raises(ParseError, match="lone surrogate"):
        parse_json('{"code": "\\ud800"}')
    assert parse_json('{"a": [1, {"b": "\\u00e9"}]}') == {"a": [1, {"b": "é"}]}
    with pytest.raises(ParseError, match="nested deeper"):
        parse_yaml("a: " + "[" * 100 + "]" * 100)
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)
    )
    with pytest.raises(ParseError, match="aliases expand"):
        parse_yaml(laughs)
    assert parse_yaml("base: &b {x: 1}\nother: *b\n") == {"base": {"x": 1}, "other": {"x": 1}}


def test_csv_cell_counts_and_quotes(tmp_path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("a,b\n1,2\n3\n4,5,6\n\"7,8\n")
    with pytest.raises(InputError, match=r"t.csv:3: 1 cells but the header has 2"):
        read_csv(p)
    table = read_csv(p, lenient=True)
    assert [r.cells for r in table.rows] == [{"a": "1", "b": "2"}]
    assert [line for line, _ in table.errors] == [3, 4, 5]


def test_columns_are_checked_never_guessed() -> None:
    cols = (Column("valid", to_bool), Column("secure", to_bool, nullable=True), Column("n", to_count))
    ok = validate_rows([("line 2", {"valid": "True", "secure": "", "n": "3"})], cols, "t.csv", ["valid", "secure", "n"])
    assert ok == [{"valid": True, "secure": None, "n": 3}]
    for cells, words in (
        ({"valid": "1", "secure": "", "n": "3"}, "'valid' expects true or false, got '1'"),
        ({"valid": "True", "secure": "sometimes", "n": "3"}, "'secure'"),
        ({"valid": "True", "secure": "", "n": "ten"}, "'n' expects a whole number"),
        ({"valid": "", "secure": "", "n": "1"}, "'valid' must not be empty"),
    ):
        with pytest.raises(InputError, match=words):
            validate_rows([("line 2", cells)], cols, "t.csv", list(cells))
    with pytest.raises(InputError, match="no column 'valid'"):
        validate_rows([], cols, "t.csv", ["secure", "n"])
