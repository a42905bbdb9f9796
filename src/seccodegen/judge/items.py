"""Turn input records (project ``sample`` records or external JSONL) into :class:`JudgeItem`s."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from seccodegen.errors import InputError
from seccodegen.findings import normalise_cwe

LANGUAGES = ("c", "cpp", "python", "java")
EXTENSIONS = {"c": ".c", "cpp": ".cpp", "python": ".py", "java": ".java"}
DEFAULT_SOURCE = {"c": "main.c", "cpp": "main.cpp", "python": "main.py", "java": "Main.java"}


class RecordError(InputError):
    """One input record cannot be judged (missing code, unknown language, ...)."""


def code_sha256(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class JudgeItem:
    """One program to judge, with everything that decides how (not the record's other fields)."""

    code: str
    language: str
    target_cwe: str | None
    source_name: str
    flags: tuple[str, ...] = ()  # compiler/analyzer flags (scenario compile.flags, or -I/-D for Juliet)
    libs: tuple[str, ...] = ()  # link flags / extra sources, validity only
    deciders: tuple[str, ...] = ()  # analyzers whose findings decide; () = all
    scenario: Any = None  # seccodegen.scenarios.model.Scenario or None

    @property
    def code_sha256(self) -> str:
        return code_sha256(self.code)

    @property
    def build_key(self) -> str:
        """Same key = same compile and analysis results (the target CWE and the scenario's tests
        only matter later: see ``tests_key``)."""
        h = hashlib.sha256()
        for part in (self.code_sha256, self.language, self.source_name, *self.flags, "|", *self.libs):
            h.update(part.encode() + b"\0")
        return h.hexdigest()

    @property
    def tests_key(self) -> str | None:
        """Same key = same unit and security test results: the program (``build_key``) run by one
        scenario's tests (its id and a hash of its test spec); None without a scenario."""
        if self.scenario is None:
            return None
        from seccodegen.scenarios.testing import hash_of_test_spec  # lazy: the scenarios stage is optional

        h = hashlib.sha256()
        for part in (self.build_key, self.scenario.id, hash_of_test_spec(self.scenario)):
            h.update(part.encode() + b"\0")
        return h.hexdigest()


def item_from_record(record: Any, scenarios: dict[str, Any]) -> JudgeItem:
    """Validate one record; raises :class:`RecordError` with what is wrong (no file/line: the caller adds it)."""
    if not isinstance(record, dict):
        raise RecordError("record is not a JSON object")
    if record.get("id") in (None, ""):
        raise RecordError("record has no 'id'")
    code = record.get("code")
    if not isinstance(code, str):
        raise RecordError(f"record {record['id']!r} has no string 'code' (the complete program)")
    scenario = scenarios.get(record.get("scenario_id") or "")
    language = record.get("language") or (scenario.language if scenario else None)
    if language not in LANGUAGES:
        raise RecordError(
            f"record {record['id']!r}: 'language' must be one of {', '.join(LANGUAGES)}, got {language!r}"
        )
    raw_cwe = record.get("cwe") or (scenario.cwe if scenario else None)
    try:
        cwe = normalise_cwe(raw_cwe) if raw_cwe else None
    except ValueError:
        raise RecordError(
            f"record {record['id']!r}: 'cwe' {raw_cwe!r} is not a CWE id like 'CWE-787'"
        ) from None
    if scenario is not None and scenario.language != language:
        scenario = None  # a record that disagrees with its scenario is judged as external code
    return JudgeItem(
        code=code,
        language=language,
        target_cwe=cwe,
        source_name=(scenario.source_name if scenario and scenario.source_name else DEFAULT_SOURCE[language]),
        flags=tuple(scenario.compile.flags) if scenario else (),
        libs=tuple(scenario.compile.libs) if scenario else (),
        deciders=tuple(scenario.analyzers) if scenario else (),
        scenario=scenario,
    )


def load_scenarios(path: str | None, needed: bool) -> dict[str, Any]:
    """``{id: Scenario}`` from ``path`` (None = built-in suite); ``{}`` when no record names one."""
    if not needed:
        return {}
    from seccodegen.scenarios.model import load_suite  # lazy: the scenarios stage is optional

    return {s.id: s for s in load_suite(path, require_test_data=False)}  # tests optional: correct=null
