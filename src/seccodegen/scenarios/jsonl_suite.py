"""A suite as one JSONL file: one scenario (usually just a prompt) per line.

Each line is a JSON object with the scenario fields of docs/scenarios.md; an evaluation-only line
needs only ``id``, ``language``, ``cwe`` and ``prompt`` (``suffix``, ``completion_scope``, ``stop``,
``compile`` and the other fields are optional). Lines are checked by the YAML loader's checker, so
an error reads ``prompts.jsonl:3: field 'cwe': ...``. ``seccodegen scenarios export`` writes this format.
"""

from __future__ import annotations

import json
from pathlib import Path

from seccodegen.scenarios.model import Scenario, scenario_from_dict
from seccodegen.scenarios.schema import FieldChecker, ScenarioError


def _numbered_lines(path: Path) -> list[tuple[int, str]]:
    """``[(line number, text)]`` of the non-blank lines, or one ScenarioError line naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read prompt file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        line = text_line_of(path, exc.start)
        raise ScenarioError(f"{path}:{line}: not UTF-8 text") from None
    return [(i, line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]


def text_line_of(path: Path, byte_offset: int) -> int:
    """1-based line number of ``byte_offset`` in ``path`` (for encoding errors)."""
    with open(path, "rb") as fh:
        return fh.read(byte_offset).count(b"\n") + 1


def parse_line(text: str, source: str, path: Path, require_test_data: bool) -> Scenario:
    """One JSONL line -> Scenario; ``source`` (``file:line``) prefixes every error."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ScenarioError(f"{source}: invalid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a JSON object of scenario fields, got {type(data).__name__}")
    check = FieldChecker(source, quote_hint=" (write it as a JSON string)")
    return scenario_from_dict(data, source, path, require_test_data, check=check)


def load_jsonl_suite(
    path: Path, errors: list[str] | None = None, require_test_data: bool = False
) -> list[Scenario]:
    """Every scenario of a JSONL file, sorted by id; duplicate ids name both lines.

    With an ``errors`` list, bad lines are skipped and their one-line messages appended to it.
    """
    seen: dict[str, tuple[int, Scenario]] = {}
    for lineno, text in _numbered_lines(path):
        source = f"{path}:{lineno}"
        try:
            scenario = parse_line(text, source, path, require_test_data)
            if scenario.id in seen:
                raise ScenarioError(
                    f"{source}: field 'id': duplicate id {scenario.id!r} (also on line {seen[scenario.id][0]})"
                )
        except ScenarioError as exc:
            if errors is None:
                raise
            errors.append(str(exc))
            continue
        seen[scenario.id] = (lineno, scenario)
    if not seen and errors is None:
        raise ScenarioError(f"{path}: no prompts (expected one JSON object per line)")
    return [seen[key][1] for key in sorted(seen)]
