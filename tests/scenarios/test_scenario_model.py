"""Scenario loader: schema validation errors name the file and field; suites; assemble."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from seccodegen.errors import SeccodegenError
from seccodegen.scenarios import BUILTIN_SUITE
from seccodegen.scenarios.model import (
    Scenario,
    ScenarioError,
    find_scenario,
    load_scenario,
    load_suite,
    scenario_from_dict,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "scenarios"
VALID = FIXTURES / "valid" / "copy-name.yaml"

# fixture file -> (field named in the error, a fragment of the problem)
INVALID = {
    "unknown-field.yaml": ("descripton", "did you mean 'description'"),
    "typo-prompt.yaml": ("promt", "did you mean 'prompt'"),
    "bad-cwe.yaml": ("cwe", "must look like 'CWE-787'"),
    "id-mismatch.yaml": ("id", "must be 'c/cwe-787/<slug>'"),
    "wrong-language.yaml": ("language", "'rust' is not one of"),
    "wrong-type-args.yaml": ("tests[0].args", "expected a list of strings, got str"),
    "int-stdout.yaml": ("tests[0].expect_stdout", "expected a string, got int"),
    "test-typo.yaml": ("tests[0].expected_stdout", "did you mean 'expect_stdout'"),
    "one-secure.yaml": ("completions.secure", "at least 2 completions, got 1"),
}


def test_valid_fixture_loads_into_frozen_dataclasses() -> None:
    s = load_scenario(VALID)
    assert (s.id, s.language, s.cwe, s.cwe_number) == ("c/cwe-787/copy-name", "c", "CWE-787", 787)
    assert s.source_name == "main.c" and s.completion_scope == "function"
    assert isinstance(s.tests, tuple) and s.tests[0].args == ("bob",) and s.tests[0].expect_exit == 0
    assert isinstance(s.completions.secure, tuple) and len(s.secure_completions) == 2
    with pytest.raises(AttributeError):
        s.id = "other"  # type: ignore[misc]
    program = s.assemble(s.secure_completions[0])
    assert program.startswith(s.prompt) and program.endswith(s.suffix)
    assert s.secure_completions[0] in program


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_fixture_is_a_one_line_error_naming_file_and_field(name: str) -> None:
    field_name, fragment = INVALID[name]
    with pytest.raises(ScenarioError) as info:
        load_scenario(FIXTURES / "invalid" / name)
    message = str(info.value)
    assert isinstance(info.value, SeccodegenError)
    assert "\n" not in message
    assert message.startswith(str(FIXTURES / "invalid" / name))
    assert f"field {field_name!r}" in message
    assert fragment in message


def _valid_dict() -> dict:
    return yaml.safe_load(VALID.read_text())


def _with_modes(value):
    return lambda d: d["tests"][0].update(expect_modes=value)


@pytest.mark.parametrize(
    "mutate, field_name",
    [
        (lambda d: d.pop("tests"), "tests"),
        (lambda d: d.pop("completions"), "completions"),
        (lambda d: d["completions"].pop("vulnerable"), "completions.vulnerable"),
        (lambda d: d.update(tests=[]), "tests"),
        (lambda d: d["tests"].append(dict(d["tests"][0])), "tests[2].name"),
        (lambda d: d["tests"][0].update(expect_exit="0"), "tests[0].expect_exit"),
        (lambda d: d["tests"][0].update(files={"../escape": "x"}), "tests[0].files.../escape"),
        (lambda d: d.update(completion_scope="file"), "completion_scope"),
        (lambda d: d.update(source_name="dir/main.c"), "source_name"),
        (lambda d: d.update(compile={"flags": "-O2"}), "compile.flags"),
        (lambda d: d["completions"]["secure"].__setitem__(1, "   \n"), "completions.secure[1]"),
        (lambda d: d["tests"][0].update(expect_mode={}), "tests[0].expect_mode"),
        (_with_modes({"/etc/f": {"forbid": "0o002"}}), "tests[0].expect_modes./etc/f"),
        (_with_modes({"f": "0o002"}), "tests[0].expect_modes.f"),
        (_with_modes({"f": {"forbidden": "0o002"}}), "tests[0].expect_modes.f.forbidden"),
        (_with_modes({"f": {"forbid": 18}}), "tests[0].expect_modes.f.forbid"),
        (_with_modes({"f": {"forbid": "0o9"}}), "tests[0].expect_modes.f.forbid"),
        (_with_modes({"f": {"forbid": "0o0"}}), "tests[0].expect_modes.f.forbid"),
        (lambda d: d["tests"][0].update(files={"b.bin": {"base64": "!!"}}), "tests[0].files.b.bin.base64"),
        (lambda d: d["tests"][0].update(files={"b.bin": {"hex": "00"}}), "tests[0].files.b.bin.hex"),
    ],
)
def test_schema_errors_from_dicts(mutate, field_name: str) -> None:
    data = _valid_dict()
    mutate(data)
    with pytest.raises(ScenarioError, match=f"^x.yaml: field '{_re(field_name)}'"):
        scenario_from_dict(data, "x.yaml")


def _re(text: str) -> str:
    import re

    return re.escape(text)


def test_expect_modes_masks_and_their_one_line_errors() -> None:
    data = _valid_dict()
    data["tests"][0]["expect_modes"] = {"out/key": {"forbid": "0o077"}, "spool": {"forbid": "002"}}
    assert scenario_from_dict(data, "x.yaml").tests[0].expect_modes == (("out/key", 0o077), ("spool", 0o002))
    data["tests"][0]["expect_modes"] = {"key": {"forbidd": "0o077"}}
    with pytest.raises(ScenarioError, match="did you mean 'forbid'"):
        scenario_from_dict(data, "x.yaml")
    data["tests"][0]["expect_modes"] = {"key": {"forbid": 18}}  # what YAML makes of a bare 022
    with pytest.raises(ScenarioError, match="octal string like '0o022'"):
        scenario_from_dict(data, "x.yaml")


def test_binary_input_files_are_base64() -> None:
    data = _valid_dict()
    data["tests"][0]["files"] = {"b.bin": {"base64": "rO0A\nBQ=="}, "t.txt": "text"}
    assert scenario_from_dict(data, "x.yaml").tests[0].files == (
        ("b.bin", b"\xac\xed\x00\x05"),
        ("t.txt", "text"),
    )


def test_expect_exit_null_means_any_and_defaults_apply() -> None:
    data = _valid_dict()
    data["tests"][0]["expect_exit"] = None
    data["language"], data["id"] = "java", "java/cwe-787/copy-name"
    s = scenario_from_dict(data, "x.yaml")
    assert s.tests[0].expect_exit is None and s.tests[1].expect_exit == 0
    assert s.source_name == "Main.java"


def test_invalid_yaml_and_non_mapping(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ScenarioError, match="expected a YAML mapping"):
        load_scenario(bad)


def test_suite_duplicate_ids_and_error_collection(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.yaml").write_text(VALID.read_text())
    (tmp_path / "two.yaml").write_text(VALID.read_text())
    with pytest.raises(ScenarioError, match="duplicate id 'c/cwe-787/copy-name'"):
        load_suite(tmp_path)
    errors: list[str] = []
    (tmp_path / "broken.yaml").write_text((FIXTURES / "invalid" / "bad-cwe.yaml").read_text())
    suite = load_suite(tmp_path, errors)
    assert [s.id for s in suite] == ["c/cwe-787/copy-name"]
    assert len(errors) == 2 and any("duplicate id" in e for e in errors) and any("'cwe'" in e for e in errors)


def test_missing_suite_dir_and_unknown_id(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="does not exist"):
        load_suite(tmp_path / "nope")
    with pytest.raises(ScenarioError, match="no scenario with id"):
        find_scenario(load_suite(FIXTURES / "valid"), "c/cwe-1/none")


def test_builtin_suite_loads_sorted_and_unique() -> None:
    suite = load_suite()
    assert BUILTIN_SUITE.is_dir() and suite
    ids = [s.id for s in suite]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(isinstance(s, Scenario) for s in suite)
