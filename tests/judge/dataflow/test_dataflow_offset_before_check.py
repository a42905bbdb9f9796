"""offset-use-before-range-check: ``a[i] && i < n``, the read before the check meant to guard it."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

RULE = "offset-use-before-range-check"


@pytest.mark.parametrize(
    ("language", "code"),
    [
        (
            "c",
            "int f(int start, char *s, char g){ int n = strlen(s);"
            " for (int i = start; s[i] != 0 && i < n; i++) if (s[i] == g) return i; return -1; }",
        ),
        ("c", "int f(const char *b, int size){ int i = 0; while (b[i] != ' ' && size > i) i++; return i; }"),
        (
            "c",
            "int f(const char *b, int size){ int i = 0; while ((b[i] != ' ') && (i <= size - 1)) i++; return i; }",
        ),
        ("cpp", "int f(const std::vector<int>& v, size_t i){ return v[i] > 0 && i < v.size(); }"),
    ],
)
def test_a_read_checked_only_after_it_is_found(query_hits, language, code) -> None:
    found = query_hits(RULE, code, language)
    assert found and found[0].cwe_ids == ("CWE-125",), found


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("c", "int f(char *s, int n){ int i = 0; while (i < n && s[i] != 0) i++; return i; }"),
        # an earlier term of an enclosing && checks the offset before the read
        (
            "c",
            "int f(char *s, int n, int m){ int i = 0; while (i < n && s[i] != 0 && i < m) i++; return i; }",
        ),
        # the check on the right is of another variable, or the offset is not a plain variable
        ("c", "int f(char *s, int n, int j){ int i = 0; while (s[i] != 0 && j < n) i++; return i; }"),
        ("c", "int f(char *s, int n){ int i = 0; while (s[i + 1] != 0 && i < n) i++; return i; }"),
        # || is not an ordering of a check before a read
        ("c", "int f(char *s, int n){ int i = 0; while (s[i] == ' ' || i < n) i++; return i; }"),
    ],
)
def test_a_read_after_its_check_is_not_reported(query_hits, language, code) -> None:
    assert query_hits(RULE, code, language) == []
