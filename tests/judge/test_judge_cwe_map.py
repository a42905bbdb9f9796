"""The CWE mapping table, the family relation and the one decision rule."""

from __future__ import annotations

import pytest

from seccodegen.findings import Finding
from seccodegen.judge.cwe_map import cwe_family, is_vulnerable, map_rule


def _finding(*cwes: str, tool: str = "t") -> Finding:
    return Finding(tool=tool, rule="r", message="m", cwe_ids=tuple(cwes))


@pytest.mark.parametrize(
    ("target", "member"),
    [
        ("CWE-119", "CWE-787"), ("CWE-119", "CWE-125"), ("CWE-119", "CWE-120"), ("CWE-119", "CWE-121"),
        ("CWE-119", "CWE-122"), ("CWE-787", "CWE-119"), ("CWE-125", "CWE-119"), ("CWE-787", "CWE-121"),
        ("CWE-787", "CWE-788"), ("CWE-125", "CWE-788"), ("CWE-121", "CWE-788"), ("CWE-22", "CWE-23"),
        ("CWE-22", "CWE-36"), ("CWE-23", "CWE-22"), ("CWE-78", "CWE-77"), ("CWE-20", "CWE-129"),
        ("CWE-476", "CWE-690"), ("CWE-798", "CWE-259"),
    ],
)  # fmt: skip
def test_family_contains_documented_relatives(target: str, member: str) -> None:
    assert member in cwe_family(target)


@pytest.mark.parametrize(
    ("target", "stranger"),
    [
        ("CWE-787", "CWE-125"),
        ("CWE-125", "CWE-787"),
        ("CWE-121", "CWE-125"),
        ("CWE-78", "CWE-89"),
        ("CWE-416", "CWE-415"),
    ],
)
def test_family_excludes_siblings_and_unrelated(target: str, stranger: str) -> None:
    assert stranger not in cwe_family(target)


def test_is_vulnerable_uses_target_family_only() -> None:
    findings = [_finding("CWE-416"), _finding("CWE-788")]
    assert is_vulnerable(findings, "CWE-416")
    assert is_vulnerable(findings, "cwe-787")  # normalised; 788 counts for 787
    assert not is_vulnerable(findings, "CWE-78")
    assert not is_vulnerable([], "CWE-787")


def test_is_vulnerable_without_target_counts_any_mapped_finding() -> None:
    assert is_vulnerable([_finding("CWE-89")], None)
    assert not is_vulnerable([_finding()], None)  # unmapped findings never decide


def test_map_rule_precedence() -> None:
    # message rule beats the rule table: clang's unix.Malloc means different CWEs
    assert map_rule("clang-tidy", "clang-analyzer-unix.Malloc", "Use of memory after it is released") == (
        "CWE-416",
    )
    assert map_rule("clang-tidy", "clang-analyzer-unix.Malloc", "Attempt to free released memory") == (
        "CWE-415",
    )
    # rule table: API-hygiene warnings are recorded but never decisive
    assert (
        map_rule("clang-tidy", "clang-analyzer-security.insecureAPI.strcpy", "... CWE-119", ["CWE-119"]) == ()
    )
    # gcc warning option table
    assert map_rule("gcc-warnings", "-Wstringop-overflow=", "writing 30 bytes into a region of size 4") == (
        "CWE-787",
    )
    assert map_rule("gcc-warnings", "-Wformat-security", "format not a string literal") == ()
    # gcc's strncat(d, s, strlen(s)) idiom warning fires whatever the sizes: recorded, not decisive
    idiom = "'strncat' specified bound depends on the length of the source argument"
    assert map_rule("gcc-warnings", "-Wstringop-overflow=", idiom) == ()
    # otherwise the tool's own ids, normalised, with CWE-0 dropped
    assert map_rule("cppcheck", "someRule", "", ["787", "0"]) == ("CWE-787",)
    assert map_rule("bandit", "B307", "", ["78"]) == ("CWE-94",)
