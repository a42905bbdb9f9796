"""``scenarios export``: JSONL and YAML suites that load back to the same scenarios."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from seccodegen.cli import app
from seccodegen.scenarios import EXAMPLE_PROMPTS
from seccodegen.scenarios.model import load_suite


def test_builtin_with_tests_round_trips_through_jsonl_and_yaml(tmp_path: Path) -> None:
    builtin = load_suite()
    runner = CliRunner()
    out = tmp_path / "all.jsonl"
    result = runner.invoke(app, ["scenarios", "export", "--with-tests", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == len(builtin)
    assert load_suite(out) == builtin  # strict load: tests and completions came along
    ydir = tmp_path / "yaml"
    result = runner.invoke(app, ["scenarios", "export", "--format", "yaml", "--with-tests", "--out", str(ydir)])
    assert result.exit_code == 0, result.output
    assert load_suite(ydir) == builtin
    assert (ydir / "c" / "cwe-787").is_dir()
    again = runner.invoke(app, ["scenarios", "export", "--format", "yaml", "--out", str(ydir)])
    assert again.exit_code != 0 and "not an empty directory" in str(again.exception)


def test_default_export_is_prompts_only(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["scenarios", "export", "--language", "python"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    python = [s for s in load_suite() if s.language == "python"]
    assert [r["id"] for r in rows] == [s.id for s in python]
    assert all(not {"tests", "completions", "security_tests"} & set(r) for r in rows)
    path = tmp_path / "p.jsonl"
    path.write_text(result.stdout)
    reloaded = load_suite(path, require_test_data=False)
    assert [(s.prompt, s.suffix, s.stop, s.completion_scope) for s in reloaded] == [
        (s.prompt, s.suffix, s.stop, s.completion_scope) for s in python
    ]


def test_example_exports_to_itself(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["scenarios", "export", "--scenarios", str(EXAMPLE_PROMPTS)])
    assert result.exit_code == 0
    assert load_suite(EXAMPLE_PROMPTS, require_test_data=False) == [
        *load_suite(_write(tmp_path / "e.jsonl", result.stdout), require_test_data=False)
    ]
    bad = CliRunner().invoke(app, ["scenarios", "export", "--format", "csv"])
    assert bad.exit_code != 0 and "--format 'csv' is not one of jsonl, yaml" in str(bad.exception)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
