"""Write a loaded suite back out: one JSONL file of prompts, or a directory of scenario YAML files.

``seccodegen scenarios export`` uses this so a user can start their own suite from the built-in one.
By default only the prompt fields are written (an evaluation-only suite); ``with_tests`` adds the
tests, security tests and hand-written completions, and the result loads back to equal scenarios.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Any

import yaml

from seccodegen.errors import InputError
from seccodegen.scenarios.expectations import DEFAULT_EXIT, files_as_dict, mode_rules_as_dict
from seccodegen.scenarios.model import DEFAULT_SOURCE_NAMES, Scenario, ScenarioTest

EXPORT_FORMATS = ("jsonl", "yaml")


def _test_to_dict(test: ScenarioTest, security: bool = False) -> dict[str, Any]:
    """The YAML/JSON form of one test (``security``: of ``security_tests``), defaults left out."""
    out: dict[str, Any] = {"name": test.name}
    if test.args:
        out["args"] = list(test.args)
    if test.stdin is not None:
        out["stdin"] = test.stdin
    if test.files:
        out["files"] = files_as_dict(test.files)
    if test.expect_exit != DEFAULT_EXIT[security]:
        out["expect_exit"] = test.expect_exit
    if test.expect_stdout is not None:
        out["expect_stdout"] = test.expect_stdout
    for name in ("expect_stdout_contains", "expect_stdout_not_contains", "expect_stdout_not_matching",
                 "expect_files_absent"):
        if getattr(test, name):
            out[name] = list(getattr(test, name))
    if test.expect_files:
        out["expect_files"] = dict(test.expect_files)
    if test.expect_modes:
        out["expect_modes"] = mode_rules_as_dict(test.expect_modes)
    if test.exhaustion_is_effect:
        out["exhaustion_is_effect"] = True
    return out


def scenario_to_dict(scenario: Scenario, with_tests: bool = False) -> dict[str, Any]:
    """The scenario's fields in file order; optional fields only when they differ from the default."""
    out: dict[str, Any] = {"id": scenario.id, "language": scenario.language, "cwe": scenario.cwe}
    if scenario.description:
        out["description"] = scenario.description
    out["prompt"] = scenario.prompt
    if scenario.suffix:
        out["suffix"] = scenario.suffix
    if scenario.completion_scope != "function":
        out["completion_scope"] = scenario.completion_scope
    if scenario.stop:
        out["stop"] = list(scenario.stop)
    if scenario.source_name and scenario.source_name != DEFAULT_SOURCE_NAMES[scenario.language]:
        out["source_name"] = scenario.source_name
    compile_settings = {k: list(v) for k, v in vars(scenario.compile).items() if v}
    if compile_settings:
        out["compile"] = compile_settings
    if scenario.analyzers:
        out["analyzers"] = list(scenario.analyzers)
    if scenario.sanitize is not None:
        out["sanitize"] = scenario.sanitize
    if with_tests:
        if scenario.tests:
            out["tests"] = [_test_to_dict(t) for t in scenario.tests]
        if scenario.security_tests:
            out["security_tests"] = [_test_to_dict(t, security=True) for t in scenario.security_tests]
        comp = {k: list(v) for k, v in vars(scenario.completions).items() if v}
        if comp:
            out["completions"] = comp
    return out


def write_jsonl_suite(scenarios: list[Scenario], out: IO[str], with_tests: bool = False) -> int:
    """One JSON object per line; returns the number of lines written."""
    for scenario in scenarios:
        out.write(json.dumps(scenario_to_dict(scenario, with_tests), ensure_ascii=False) + "\n")
    return len(scenarios)


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings as ``|`` blocks, so exported prompts read like the hand-written files."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_representer)


def write_yaml_suite(scenarios: list[Scenario], out_dir: Path, with_tests: bool = False) -> list[Path]:
    """``OUT_DIR/<language>/cwe-<n>/<slug>.yaml`` per scenario (the built-in layout); returns the files.

    Refuses a non-empty ``out_dir`` so an export never overwrites an existing suite.
    """
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InputError(f"{out_dir}: exists and is not an empty directory; pass a new --out DIR")
    written = []
    for scenario in scenarios:
        *dirs, slug = scenario.id.split("/")
        path = out_dir.joinpath(*dirs, f"{slug}.yaml")
        path.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.dump(
            scenario_to_dict(scenario, with_tests), Dumper=_BlockDumper, sort_keys=False, allow_unicode=True
        )
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def export_suite(scenarios: list[Scenario], fmt: str, out: Path | None, with_tests: bool = False) -> None:
    """``scenarios export``: JSONL to ``out`` (stdout when None) or a YAML suite into the new dir ``out``."""
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"--format {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
    if fmt == "yaml":
        if out is None:
            raise InputError("--format yaml writes a directory of files: pass --out DIR")
        files = write_yaml_suite(scenarios, out, with_tests)
        print(f"wrote {len(files)} scenario files under {out}", file=sys.stderr)
        return
    if out is None:
        write_jsonl_suite(scenarios, sys.stdout, with_tests)
        return
    try:
        with open(out, "w", encoding="utf-8") as fh:
            n = write_jsonl_suite(scenarios, fh, with_tests)
    except OSError as exc:
        raise InputError(f"{out}: cannot write ({exc.strerror or exc})") from None
    print(f"wrote {n} prompts to {out}", file=sys.stderr)
