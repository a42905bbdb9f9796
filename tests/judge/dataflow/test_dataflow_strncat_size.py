"""strncat-size: a strncat bound that is not the room left in the destination."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")


@pytest.mark.parametrize(
    ("code", "cwe"),
    [
        # the destination's whole size, appended to in a loop
        ("void f(char **p, int n, char *out){ out[0] = 0; for (int i = 0; i < n; i++) strncat(out, p[i], 64); }",
         "CWE-787"),
        # sizeof the destination after a copy into it
        ("void f(const char *a, const char *b){ char buf[32]; strcpy(buf, a); strncat(buf, b, sizeof(buf)); puts(buf); }",
         "CWE-787"),
        # the room left without the NUL
        ("void f(const char *a, const char *b){ char buf[32]; strcpy(buf, a);"
         " strncat(buf, b, sizeof(buf) - strlen(buf)); puts(buf); }", "CWE-193"),
    ],
)
def test_a_bound_blind_to_the_destination_is_found(query_hits, code, cwe) -> None:
    found = query_hits("strncat-size", code)
    assert found and cwe in found[0].cwe_ids, found

@pytest.mark.parametrize(
    "code",
    [
        "void f(const char *a, const char *b){ char buf[32]; strcpy(buf, a); strncat(buf, b, sizeof(buf) - strlen(buf) - 1); puts(buf); }",
        # a first append into an empty buffer is a bounded copy
        "void f(const char *b){ char buf[32]; buf[0] = 0; strncat(buf, b, sizeof(buf) - 1); puts(buf); }",
        # a check on the destination's length decides the append
        "int f(char **p, int n, char *out){ out[0] = 0; for (int i = 0; i < n; i++) {"
        " if (strlen(out) + strlen(p[i]) >= 64) return -1; strncat(out, p[i], 64); } return 0; }",
    ],
)
def test_a_bound_that_fits_is_not_reported(query_hits, code) -> None:
    assert query_hits("strncat-size", code) == []
