"""Evaluation-only suites: JSONL prompt files, optional tests/completions, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seccodegen.cli import app
from seccodegen.scenarios import EXAMPLE_PROMPTS
from seccodegen.scenarios.model import ScenarioError, load_suite

VALID = Path(__file__).parents[1] / "fixtures" / "scenarios" / "valid"

PROMPT = {"id": "python/cwe-89/find-user", "language": "python", "cwe": "CWE-89", "prompt": "def f(x):\n"}


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_example_loads_as_prompts_only_but_not_strictly() -> None:
    suite = load_suite(EXAMPLE_PROMPTS, require_test_data=False)
    assert [s.id for s in suite] == sorted(s.id for s in suite) and len(suite) == 3
    assert all(not s.tests and not s.completions.secure and not s.description for s in suite)
    assert {s.language for s in suite} == {"c", "python"}
    with pytest.raises(ScenarioError, match=r"my_prompts\.jsonl:1: field 'completions': missing required"):
        load_suite(EXAMPLE_PROMPTS)  # the strict default (validate --strict, calibration)


@pytest.mark.parametrize(
    ("line", "where"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ({**PROMPT, "cwe": "CWE89"}, "field 'cwe': 'CWE89' must look like 'CWE-787'"),
        ({**PROMPT, "promt": "x"}, "field 'promt': unknown field (did you mean 'prompt'?)"),
        ({k: v for k, v in PROMPT.items() if k != "prompt"}, "field 'prompt': missing required field"),
        ({**PROMPT, "stop": "\n"}, "field 'stop': expected a list of strings, got str"),
        ({**PROMPT, "suffix": 3}, "field 'suffix': expected a string, got int (write it as a JSON string)"),
        ({**PROMPT, "tests": "run it"}, "field 'tests': expected a non-empty list of tests, got str"),
        ({**PROMPT, "compile": {"flag": []}}, "field 'compile.flag': unknown field"),
    ],
)
def test_bad_line_is_one_error_naming_file_line_and_field(tmp_path: Path, line, where: str) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [{**PROMPT, "id": "python/cwe-89/ok"}, "", line])
    with pytest.raises(ScenarioError) as info:
        load_suite(path, require_test_data=False)
    message = str(info.value)
    assert message.startswith(f"{path}:3: ") and where in message and "\n" not in message


def test_duplicate_ids_name_both_lines_and_errors_can_be_collected(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [PROMPT, {**PROMPT, "cwe": "bad"}, PROMPT])
    with pytest.raises(ScenarioError, match=r"p\.jsonl:2: field 'cwe'"):
        load_suite(path, require_test_data=False)
    errors: list[str] = []
    suite = load_suite(path, errors, require_test_data=False)
    assert [s.id for s in suite] == [PROMPT["id"]]
    assert len(errors) == 2 and "duplicate id 'python/cwe-89/find-user' (also on line 1)" in errors[1]


def test_optional_fields_are_kept(tmp_path: Path) -> None:
    row = {**PROMPT, "suffix": "\nprint(f(1))\n", "completion_scope": "program", "stop": ["\n\n"],
           "compile": {"flags": ["-O1"]}}  # fmt: skip
    (s,) = load_suite(write_jsonl(tmp_path / "p.jsonl", [row]), require_test_data=False)
    assert (s.suffix, s.completion_scope, s.stop, s.compile.flags) == (row["suffix"], "program", ("\n\n",), ("-O1",))
    assert s.source_name == "main.py" and s.assemble("    return x\n").endswith("print(f(1))\n")


def test_yaml_scenario_without_tests_loads_only_for_evaluation(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    (suite / "python").mkdir(parents=True)
    (suite / "python" / "q.yaml").write_text(
        "id: python/cwe-89/q\nlanguage: python\ncwe: CWE-89\nprompt: |\n  def f(x):\n"
    )
    (s,) = load_suite(suite, require_test_data=False)
    assert s.tests == () and s.description == ""
    with pytest.raises(ScenarioError, match="q.yaml: field 'completions': missing required field"):
        load_suite(suite)
    runner = CliRunner()
    assert runner.invoke(app, ["scenarios", "validate", "--scenarios", str(suite)]).exit_code == 0
    strict = runner.invoke(app, ["scenarios", "validate", "--strict", "--scenarios", str(suite)])
    assert strict.exit_code == 1 and "missing required field" in strict.output


def test_builtin_suite_is_always_strict_and_full_fixture_still_loads() -> None:
    assert all(s.tests and len(s.completions.secure) >= 2 for s in load_suite(require_test_data=False))
    assert load_suite(VALID, require_test_data=False) == load_suite(VALID)


def test_cli_lists_a_jsonl_suite_and_reports_a_bad_line_in_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["scenarios", "list", "--json", "--scenarios", str(EXAMPLE_PROMPTS)])
    assert listed.exit_code == 0, listed.output
    assert [r["n_tests"] for r in json.loads(listed.stdout)] == [0, 0, 0]
    bad = write_jsonl(tmp_path / "bad.jsonl", [{**PROMPT, "language": "rust"}])
    result = runner.invoke(app, ["scenarios", "list", "--scenarios", str(bad)])
    # the CLI's entry point prints a SeccodegenError as its one line (no traceback)
    assert result.exit_code != 0 and isinstance(result.exception, ScenarioError)
    assert str(result.exception).startswith(f"{bad}:1: field 'language': 'rust' is not one of")
