"""comparison-with-wider-type: a char/short loop counter compared with a wider bound."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")


@pytest.mark.parametrize(
    "code",
    [
        "long f(long n){ long s = 0; for (short i = 0; i < n; i++) s += i; return s; }",
        # a constant the counter cannot reach
        "void f(char *buf){ unsigned char k; for (k = 0; k < 300; k++) buf[k] = 0; }",
        # a while loop, the bound a length
        "int f(const char *p){ short s = 0; while (s < (long)strlen(p)) s++; return s; }",
        # the bound on the left, a do-while
        "void f(char *b, size_t n){ unsigned short i = 0; do { b[i] = 0; i++; } while (n > i); }",
    ],
)
def test_narrow_counters_against_wider_bounds_are_found(query_hits, code) -> None:
    found = query_hits("comparison-with-wider-type", code)
    assert found and "CWE-190" in found[0].cwe_ids, found


@pytest.mark.parametrize(
    "code",
    [
        # an int counter: CodeQL leaves these out too
        "void f(char *b, const char *s){ for (int i = 0; i < strlen(s); i++) b[i] = s[i]; }",
        # a constant in range
        "void f(char *b){ for (unsigned char j = 0; j < 200; j++) b[j] = 1; }",
        # a variable only ever assigned a constant in range
        "void f(char *b){ int lim = 100; for (short t = 0; t < lim; t++) b[t] = 3; }",
        # the counter is not changed by the loop
        "int f(short s, long n){ int k = 0; while (s < n) { k++; if (k > 3) break; } return k; }",
        # both sides narrow
        "void f(char *b, short n){ for (short i = 0; i < n; i++) b[i] = 0; }",
    ],
)
def test_counters_that_reach_their_bound_are_not_reported(query_hits, code) -> None:
    assert query_hits("comparison-with-wider-type", code) == []
