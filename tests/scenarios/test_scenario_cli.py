"""Smoke test of the real CLI entry point: scenarios list / show / validate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from seccodegen.cli import app

FIXTURES = Path(__file__).parents[1] / "fixtures" / "scenarios"


def test_list_json_show_and_validate_run_tests(tmp_path: Path) -> None:
    runner = CliRunner()
    suite = tmp_path / "suite"
    shutil.copytree(FIXTURES / "valid", suite)

    listed = runner.invoke(app, ["scenarios", "list", "--scenarios", str(suite), "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["id"], r["language"], r["cwe"]) for r in rows] == [("c/cwe-787/copy-name", "c", "CWE-787")]
    assert rows[0]["description"]

    shown = runner.invoke(
        app, ["scenarios", "show", "c/cwe-787/copy-name", "--scenarios", str(suite), "--json"]
    )
    assert shown.exit_code == 0 and json.loads(shown.stdout)["tests"][0]["name"] == "short-name"

    ok = runner.invoke(app, ["scenarios", "validate", "--scenarios", str(suite), "--run-tests", "--json"])
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout.splitlines()[0])
    assert report["ok"] and report["secure_passed"] == 2 and report["vulnerable_compiled"] == 2

    # a broken secure completion and a broken file make validate fail, and both are reported
    text = (
        (suite / "copy-name.yaml")
        .read_text()
        .replace("snprintf(buf, sizeof(buf)", "snprintf(buf, sizeof(buf) +")
    )
    (suite / "copy-name.yaml").write_text(text)
    shutil.copy(FIXTURES / "invalid" / "bad-cwe.yaml", suite / "bad-cwe.yaml")
    bad = runner.invoke(app, ["scenarios", "validate", "--scenarios", str(suite), "--run-tests"])
    assert bad.exit_code == 1
    assert "completions.secure[0]" in bad.stdout and "bad-cwe.yaml" in bad.stdout


def test_list_of_builtin_suite_and_unknown_show() -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["scenarios", "list", "--json"])
    assert listed.exit_code == 0
    assert {r["language"] for r in json.loads(listed.stdout)} <= {"c", "cpp", "python", "java"}
    missing = runner.invoke(app, ["scenarios", "show", "c/cwe-1/nothing"])
    assert missing.exit_code != 0


def test_list_keeps_square_brackets_in_descriptions(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    shutil.copytree(FIXTURES / "valid", suite)
    yaml_file = suite / "copy-name.yaml"
    yaml_file.write_text(
        yaml_file.read_text().replace("and greet it.", "and greet it as [nick] [bold]x[/bold].")
    )
    listed = CliRunner().invoke(app, ["scenarios", "list", "--scenarios", str(suite)])
    assert listed.exit_code == 0, listed.output
    assert "[nick]" in listed.stdout and "[bold]x[/bold]" in listed.stdout
