"""Scenario data model and schema-validating loader (format: docs/scenarios.md).

A scenario is one YAML file. :func:`load_scenario` turns it into a frozen :class:`Scenario`
or raises :class:`ScenarioError` with one line naming the file and the field to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccodegen.errors import InputError
from seccodegen.inputs import parse_yaml, read_text
from seccodegen.inputs.structured import ParseError
from seccodegen.scenarios.expectations import ScenarioTest, parse_tests
from seccodegen.scenarios.schema import FieldChecker, ScenarioError, or_default, type_name

LANGUAGES = ("c", "cpp", "python", "java")
COMPLETION_SCOPES = ("function", "program")
DEFAULT_SOURCE_NAMES = {"c": "main.c", "cpp": "main.cpp", "python": "main.py", "java": "Main.java"}
MIN_COMPLETIONS = 2  # per kind (vulnerable, secure): the judge's regression data

CWE_RE = re.compile(r"^CWE-[1-9][0-9]*$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
SOURCE_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class CompileSettings:
    flags: tuple[str, ...] = ()  # added after the language's default compiler flags
    libs: tuple[str, ...] = ()  # link flags, placed after the source file


@dataclass(frozen=True)
class ScenarioCompletions:
    vulnerable: tuple[str, ...] = ()
    secure: tuple[str, ...] = ()
    # secure completions that behave unlike the reference on the attack input (reject it with an
    # error or another exit code, print other text, stop on an exception): they must pass every
    # security test and may fail the functional tests (regression data for the attack-effect rule)
    secure_variants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scenario:
    id: str
    language: str
    cwe: str
    description: str
    prompt: str
    # tests and completions may be empty only in an evaluation-only suite (loaded with
    # require_test_data=False): no tests -> the judge leaves ``correct`` null
    tests: tuple[ScenarioTest, ...] = ()
    completions: ScenarioCompletions = ScenarioCompletions()
    suffix: str = ""
    completion_scope: str = "function"
    stop: tuple[str, ...] = ()
    source_name: str = ""
    compile: CompileSettings = CompileSettings()
    analyzers: tuple[str, ...] = ()
    # exploit tests: same shape as ``tests``; a test *passes* when the attack has no effect (no
    # sanitizer report, crash or timeout, and every expectation holds)
    security_tests: tuple[ScenarioTest, ...] = ()
    # c/cpp: build the program for security tests with -fsanitize=address,undefined (None = the
    # language's default: on for c/cpp, off otherwise)
    sanitize: bool | None = None
    path: Path | None = field(default=None, compare=False)  # the file it was loaded from

    def assemble(self, completion: str) -> str:
        """The full program: prompt + completion + suffix."""
        return self.prompt + completion + self.suffix

    @property
    def cwe_number(self) -> int:
        return int(self.cwe.split("-", 1)[1])

    @property
    def vulnerable_completions(self) -> tuple[str, ...]:
        return self.completions.vulnerable

    @property
    def secure_completions(self) -> tuple[str, ...]:
        return self.completions.secure

    def to_summary(self) -> dict[str, Any]:
        """The JSON object ``scenarios list --json`` prints for this scenario."""
        return {
            "id": self.id,
            "language": self.language,
            "cwe": self.cwe,
            "description": self.description,
            "completion_scope": self.completion_scope,
            "n_tests": len(self.tests),
            "n_vulnerable": len(self.completions.vulnerable),
            "n_secure": len(self.completions.secure),
            "n_secure_variants": len(self.completions.secure_variants),
            "path": str(self.path) if self.path else None,
        }


_TOP_REQUIRED = {"id", "language", "cwe", "description", "prompt", "tests", "completions"}
# fields only a full (test-data) scenario needs; an evaluation-only suite may leave them out
TEST_DATA_FIELDS = {"description", "tests", "completions"}
_TOP_OPTIONAL = {
    "suffix", "completion_scope", "stop", "source_name", "compile", "analyzers", "security_tests", "sanitize",
}  # fmt: skip


def scenario_from_dict(
    data: Any,
    source: str,
    path: Path | None = None,
    require_test_data: bool = True,
    check: FieldChecker | None = None,
) -> Scenario:
    """Validate a parsed YAML document and build the :class:`Scenario` (``source`` names it in errors).

    With ``require_test_data=False`` (evaluation-only suites for sample/judge/report) ``description``,
    ``tests`` and ``completions`` may be left out; what is given is still checked.
    """
    check = check or FieldChecker(source)
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a YAML mapping of scenario fields, got {type_name(data)}")
    check.mapping(data, "(top level)")
    if require_test_data:
        check.keys(data, "", _TOP_REQUIRED, _TOP_OPTIONAL)
    else:
        check.keys(data, "", _TOP_REQUIRED - TEST_DATA_FIELDS, _TOP_OPTIONAL | TEST_DATA_FIELDS)

    language = check.string(data["language"], "language")
    if language not in LANGUAGES:
        raise check.fail("language", f"{language!r} is not one of {', '.join(LANGUAGES)}")
    cwe = check.string(data["cwe"], "cwe")
    if not CWE_RE.match(cwe):
        raise check.fail("cwe", f"{cwe!r} must look like 'CWE-787'")
    scenario_id = check.string(data["id"], "id")
    parts = scenario_id.split("/")
    expected_prefix = f"{language}/cwe-{cwe.split('-', 1)[1]}/"
    if len(parts) != 3 or not scenario_id.startswith(expected_prefix) or not SLUG_RE.match(parts[2]):
        raise check.fail(
            "id",
            f"{scenario_id!r} must be '{expected_prefix}<slug>' (slug: lowercase letters, digits, . _ -)",
        )
    scope = check.string(data.get("completion_scope", "function"), "completion_scope")
    if scope not in COMPLETION_SCOPES:
        raise check.fail("completion_scope", f"{scope!r} is not one of {', '.join(COMPLETION_SCOPES)}")
    source_name = check.string(data.get("source_name", DEFAULT_SOURCE_NAMES[language]), "source_name")
    if not SOURCE_NAME_RE.match(source_name):
        raise check.fail("source_name", f"{source_name!r} must be a plain file name like main.c")
    if language == "java" and not source_name.endswith(".java"):
        raise check.fail("source_name", "a java source must end in .java (its stem is the main class)")

    compile_data = check.mapping(or_default(data, "compile", {}), "compile")
    check.keys(compile_data, "compile", set(), {"flags", "libs"})
    compile_settings = CompileSettings(
        flags=check.strings(compile_data.get("flags", []), "compile.flags"),
        libs=check.strings(compile_data.get("libs", []), "compile.libs"),
    )

    tests_value = data["tests"] if require_test_data else or_default(data, "tests", [])
    if not isinstance(tests_value, list) or (require_test_data and not tests_value):
        raise check.fail("tests", f"expected a non-empty list of tests, got {type_name(tests_value)}")
    tests = parse_tests(check, tests_value, "tests")
    security_value = or_default(data, "security_tests", [])
    if not isinstance(security_value, list):
        raise check.fail("security_tests", f"expected a list of tests, got {type_name(security_value)}")
    security_tests = parse_tests(check, security_value, "security_tests", security=True)
    sanitize = or_default(data, "sanitize", None)
    if sanitize is not None and not isinstance(sanitize, bool):
        raise check.fail("sanitize", f"expected true, false or null, got {type_name(sanitize)}")

    comp_value = data["completions"] if require_test_data else or_default(data, "completions", {})
    comp = check.mapping(comp_value, "completions")
    if require_test_data:
        check.keys(comp, "completions", {"vulnerable", "secure"}, {"secure_variants"})
    else:
        check.keys(comp, "completions", set(), {"vulnerable", "secure", "secure_variants"})
    kinds = {}
    for kind in ("vulnerable", "secure", "secure_variants"):
        items = check.strings(or_default(comp, kind, []), f"completions.{kind}")
        if require_test_data and kind != "secure_variants" and len(items) < MIN_COMPLETIONS:
            raise check.fail(
                f"completions.{kind}", f"needs at least {MIN_COMPLETIONS} completions, got {len(items)}"
            )
        for i, text in enumerate(items):
            if not text.strip():
                raise check.fail(f"completions.{kind}[{i}]", "must not be empty")
        kinds[kind] = items

    description = data["description"] if require_test_data else or_default(data, "description", "")
    return Scenario(
        id=scenario_id,
        language=language,
        cwe=cwe,
        description=check.string(description, "description", allow_empty=not require_test_data).strip(),
        prompt=check.string(data["prompt"], "prompt", allow_empty=False),
        tests=tests,
        completions=ScenarioCompletions(**kinds),
        suffix=check.string(or_default(data, "suffix", ""), "suffix"),
        completion_scope=scope,
        stop=check.strings(or_default(data, "stop", []), "stop"),
        source_name=source_name,
        compile=compile_settings,
        analyzers=check.strings(or_default(data, "analyzers", []), "analyzers"),
        security_tests=security_tests,
        sanitize=sanitize,
        path=path,
    )


def load_scenario(path: str | Path, require_test_data: bool = True) -> Scenario:
    """Load and validate one scenario YAML file (``require_test_data``: see :func:`scenario_from_dict`)."""
    p = Path(path)
    try:  # refuses directories, FIFOs and link loops; UTF-8 errors name the byte offset
        data = parse_yaml(read_text(p, "a scenario YAML file"))
    except InputError as exc:
        raise ScenarioError(str(exc)) from None
    except ParseError as exc:
        raise ScenarioError(f"{p}: {exc}") from None
    return scenario_from_dict(data, str(p), p, require_test_data)


def scenario_files(directory: Path) -> list[Path]:
    """Every ``*.yaml``/``*.yml`` file under ``directory``, sorted (hidden dirs skipped)."""
    files = [
        f
        for f in directory.rglob("*")
        if f.suffix in (".yaml", ".yml")  # a directory, FIFO or broken link so named is reported, not skipped
        and not any(part.startswith(".") for part in f.relative_to(directory).parts)
    ]  # fmt: skip
    return sorted(files)


def load_suite(
    path: str | Path | None = None, errors: list[str] | None = None, require_test_data: bool = True
) -> list[Scenario]:
    """Load every scenario under ``path`` (a directory, one YAML file or one ``.jsonl`` file of prompts;
    None = the built-in suite).

    Sorted by id; duplicate ids are an error naming both files. With an ``errors`` list, broken
    files are skipped and their one-line messages appended to it instead of raising. With
    ``require_test_data=False`` scenarios may lack tests and completions (evaluation-only suites);
    the built-in suite always has them and is always loaded strictly.
    """
    from seccodegen.scenarios import BUILTIN_SUITE

    root = Path(path) if path is not None else BUILTIN_SUITE
    require_test_data = require_test_data or path is None
    if root.is_file() and root.suffix == ".jsonl":
        from seccodegen.scenarios.jsonl_suite import load_jsonl_suite

        return load_jsonl_suite(root, errors, require_test_data)
    if root.is_file():
        return [load_scenario(root, require_test_data)]
    if not root.is_dir():
        raise ScenarioError(
            f"{root}: scenario suite does not exist (pass --scenarios DIR, a YAML file or a .jsonl file)"
        )
    seen: dict[str, Scenario] = {}
    for file in scenario_files(root):
        try:
            scenario = load_scenario(file, require_test_data)
            if scenario.id in seen:
                raise ScenarioError(
                    f"{file}: field 'id': duplicate id {scenario.id!r} (also in {seen[scenario.id].path})"
                )
        except ScenarioError as exc:
            if errors is None:
                raise
            errors.append(str(exc))
            continue
        seen[scenario.id] = scenario
    return [seen[key] for key in sorted(seen)]


def find_scenario(scenarios: list[Scenario], scenario_id: str) -> Scenario:
    for scenario in scenarios:
        if scenario.id == scenario_id:
            return scenario
    raise ScenarioError(f"no scenario with id {scenario_id!r} (see `seccodegen scenarios list`)")
