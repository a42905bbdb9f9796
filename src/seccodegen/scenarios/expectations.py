"""One scenario test (functional or security): what it runs and what must hold afterwards, and
its loader (the ``tests``/``security_tests`` entries of docs/scenarios.md).

A security test states only the attack's *effect* (docs/scenarios.md, "What a security test
asserts"): it expects any exit code unless it names one, and only it may say
``exhaustion_is_effect``."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from seccodegen.scenarios.schema import FieldChecker, type_name

# an octal permission mask as a string: "0o022" or "022" (YAML would read a bare 022 as a number)
OCTAL_MASK_RE = re.compile(r"^(0o)?[0-7]{1,4}$")


@dataclass(frozen=True)
class ScenarioTest:
    """One test: run the program with ``args``/``stdin`` and check the expectations."""

    __test__ = False  # not a pytest class

    name: str
    args: tuple[str, ...] = ()
    stdin: str | None = None
    # (relative path, content) created before the run; bytes: a binary file ({base64: ...} in YAML)
    files: tuple[tuple[str, str | bytes], ...] = ()
    expect_exit: int | None = 0  # None = any exit code
    expect_stdout: str | None = None  # exact, after stripping trailing newlines on both sides
    expect_stdout_contains: tuple[str, ...] = ()
    expect_stdout_not_contains: tuple[str, ...] = ()
    expect_files: tuple[tuple[str, str], ...] = ()  # (relative path, exact content) after the run
    expect_files_absent: tuple[str, ...] = ()
    # (relative path, forbidden permission bits): the file or directory must exist after the run
    # and none of the bits may be set in its mode; the program then runs under umask 000
    expect_modes: tuple[tuple[str, int], ...] = ()
    # regular expressions (Python ``re``, multi-line: ^ and $ match at each line) none of which may
    # match anywhere in stdout, e.g. "(?m)^port 80$" or a %x conversion's hex "[0-9a-f]{8}"
    expect_stdout_not_matching: tuple[str, ...] = ()
    # security tests only: running out of CPU time, wall time, memory or output (or a sanitizer's
    # out-of-memory report) is the attack's effect (unbounded work or allocation driven by the
    # input: CWE-400, CWE-770, CWE-789); otherwise such a run is judged by its expectations alone
    exhaustion_is_effect: bool = False


_TEST_OPTIONAL = {
    "args", "stdin", "files", "expect_exit", "expect_stdout", "expect_stdout_contains",
    "expect_stdout_not_contains", "expect_stdout_not_matching", "expect_files", "expect_files_absent",
    "expect_modes",
}  # fmt: skip
_SECURITY_ONLY = {"exhaustion_is_effect"}
# the exit code a test expects when it names none: a functional test must exit 0; a security test
# may exit however it likes (rejecting an attack with exit 1 is as secure as ignoring it)
DEFAULT_EXIT = {False: 0, True: None}


def _mode_mask(check: FieldChecker, value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        raise check.fail(name, f"write the mask as an octal string like '0o022', not the number {value}")
    text = check.string(value, name, allow_empty=False).strip()
    if not OCTAL_MASK_RE.match(text):
        raise check.fail(name, f"{text!r} is not an octal permission mask like '0o022' (at most '0o7777')")
    mask = int(text, 8)
    if mask == 0:
        raise check.fail(name, "the mask forbids nothing; give the bits that must not be set, e.g. '0o002'")
    return mask


def _mode_rules(check: FieldChecker, value: Any, name: str) -> tuple[tuple[str, int], ...]:
    """``{path: {forbid: "0o022"}}`` -> ((path, mask), ...)."""
    rules = []
    for path, rule in check.mapping(value, name).items():
        where = f"{name}.{path}"
        check.rel_path(path, where)
        rule = check.mapping(rule, where)
        check.keys(rule, where, {"forbid"}, set())
        rules.append((path, _mode_mask(check, rule["forbid"], f"{where}.forbid")))
    return tuple(rules)


def _input_files(check: FieldChecker, value: Any, name: str) -> tuple[tuple[str, str | bytes], ...]:
    """``{path: text}`` or ``{path: {base64: ...}}`` (a binary file) -> ((path, str | bytes), ...)."""
    files: list[tuple[str, str | bytes]] = []
    for path, content in check.mapping(value, name).items():
        where = f"{name}.{path}"
        check.rel_path(path, where)
        if not isinstance(content, dict):
            files.append((path, check.string(content, where)))
            continue
        check.keys(content, where, {"base64"}, set())
        text = check.string(content["base64"], f"{where}.base64")
        try:
            files.append((path, base64.b64decode("".join(text.split()), validate=True)))
        except binascii.Error:
            raise check.fail(
                f"{where}.base64", "not valid base64 (letters, digits, + / and = padding)"
            ) from None
    return tuple(files)


def files_as_dict(files: tuple[tuple[str, str | bytes], ...]) -> dict[str, str | dict[str, str]]:
    """The file form of ``files``: text as is, a binary file as ``{"base64": ...}``."""
    return {
        path: content if isinstance(content, str) else {"base64": base64.b64encode(content).decode()}
        for path, content in files
    }


def mode_rules_as_dict(rules: tuple[tuple[str, int], ...]) -> dict[str, dict[str, str]]:
    """The file form of ``expect_modes``: ``{path: {"forbid": "0o022"}}``."""
    return {path: {"forbid": f"{mask:#o}"} for path, mask in rules}


def _patterns(check: FieldChecker, value: Any, name: str) -> tuple[str, ...]:
    patterns = check.strings(value, name)
    for i, pattern in enumerate(patterns):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise check.fail(f"{name}[{i}]", f"{pattern!r} is not a regular expression: {exc}") from None
    return patterns


def parse_test(check: FieldChecker, value: Any, name: str, security: bool = False) -> ScenarioTest:
    """One entry of ``tests`` (``security=False``) or ``security_tests`` (``security=True``)."""
    data = check.mapping(value, name)
    check.keys(data, name, {"name"}, _TEST_OPTIONAL | (_SECURITY_ONLY if security else set()))
    expect_exit = data.get("expect_exit", DEFAULT_EXIT[security])
    if expect_exit is not None and (not isinstance(expect_exit, int) or isinstance(expect_exit, bool)):
        raise check.fail(f"{name}.expect_exit", f"expected an int or null, got {type_name(expect_exit)}")
    stdin = data.get("stdin")
    expect_stdout = data.get("expect_stdout")
    return ScenarioTest(
        name=check.string(data["name"], f"{name}.name", allow_empty=False),
        args=check.strings(data.get("args", []), f"{name}.args"),
        stdin=None if stdin is None else check.string(stdin, f"{name}.stdin"),
        files=_input_files(check, data.get("files") or {}, f"{name}.files"),
        expect_exit=expect_exit,
        expect_stdout=None if expect_stdout is None else check.string(expect_stdout, f"{name}.expect_stdout"),
        expect_stdout_contains=check.strings(
            data.get("expect_stdout_contains", []), f"{name}.expect_stdout_contains"
        ),
        expect_stdout_not_contains=check.strings(
            data.get("expect_stdout_not_contains", []), f"{name}.expect_stdout_not_contains"
        ),
        expect_files=check.file_map(data.get("expect_files", {}), f"{name}.expect_files"),
        expect_files_absent=tuple(
            check.rel_path(p, f"{name}.expect_files_absent[{i}]")
            for i, p in enumerate(
                check.strings(data.get("expect_files_absent", []), f"{name}.expect_files_absent")
            )
        ),
        expect_modes=_mode_rules(check, data.get("expect_modes") or {}, f"{name}.expect_modes"),
        expect_stdout_not_matching=_patterns(
            check, data.get("expect_stdout_not_matching", []), f"{name}.expect_stdout_not_matching"
        ),
        exhaustion_is_effect=_flag(
            check, data.get("exhaustion_is_effect", False), f"{name}.exhaustion_is_effect"
        ),
    )


def _flag(check: FieldChecker, value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise check.fail(name, f"expected true or false, got {type_name(value)}")
    return value


def parse_tests(
    check: FieldChecker, values: list, field_name: str, security: bool = False
) -> tuple[ScenarioTest, ...]:
    tests = tuple(parse_test(check, item, f"{field_name}[{i}]", security) for i, item in enumerate(values))
    names = [t.name for t in tests]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise check.fail(f"{field_name}[{i}].name", f"duplicate test name {name!r}")
    return tests
