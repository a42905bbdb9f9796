"""Field checks shared by the scenario loaders: each failure is one :class:`ScenarioError` line,
``<file>: field '<name>': <problem>``, that says what to fix."""

from __future__ import annotations

import difflib
from pathlib import PurePosixPath
from typing import Any

from seccodegen.errors import InputError


class ScenarioError(InputError):
    """A scenario file or suite is malformed (one line: file, field, what to fix)."""


def type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def or_default(data: dict, key: str, default: Any) -> Any:
    """``data[key]``, or ``default`` when it is absent or null (an empty YAML value)."""
    value = data.get(key)
    return default if value is None else value


class FieldChecker:
    """Checks the fields of one source (a YAML file, or ``file:line`` of a JSONL suite)."""

    def __init__(self, source: str, quote_hint: str = " (quote it in YAML)") -> None:
        self.source = source
        self.quote_hint = quote_hint  # appended to "expected a string" problems

    def fail(self, name: str, problem: str) -> ScenarioError:
        return ScenarioError(f"{self.source}: field {name!r}: {problem}")

    def mapping(self, value: Any, name: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(name, f"expected a mapping, got {type_name(value)}")
        for key in value:
            if not isinstance(key, str):
                raise self.fail(name, f"keys must be strings, got {key!r}")
        return value

    def keys(self, data: dict, name: str, required: set[str], optional: set[str]) -> None:
        prefix = f"{name}." if name else ""
        for key in data:
            if key not in required and key not in optional:
                close = difflib.get_close_matches(key, sorted(required | optional), n=1)
                hint = (
                    f"did you mean {close[0]!r}?"
                    if close
                    else f"known: {', '.join(sorted(required | optional))}"
                )
                raise self.fail(f"{prefix}{key}", f"unknown field ({hint})")
        for key in sorted(required):
            if key not in data:
                raise self.fail(f"{prefix}{key}", "missing required field")

    def string(self, value: Any, name: str, allow_empty: bool = True) -> str:
        if not isinstance(value, str):
            raise self.fail(name, f"expected a string, got {type_name(value)}{self.quote_hint}")
        if not allow_empty and not value.strip():
            raise self.fail(name, "must not be empty")
        return value

    def strings(self, value: Any, name: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(name, f"expected a list of strings, got {type_name(value)}")
        return tuple(self.string(item, f"{name}[{i}]") for i, item in enumerate(value))

    def rel_path(self, value: Any, name: str) -> str:
        text = self.string(value, name, allow_empty=False)
        pure = PurePosixPath(text)
        if pure.is_absolute() or ".." in pure.parts:
            raise self.fail(name, f"{text!r} must be a relative path inside the sandbox dir (no '..')")
        return text

    def file_map(self, value: Any, name: str) -> tuple[tuple[str, str], ...]:
        data = self.mapping(value, name)
        return tuple(
            (self.rel_path(path, f"{name}.{path}"), self.string(content, f"{name}.{path}"))
            for path, content in data.items()
        )
