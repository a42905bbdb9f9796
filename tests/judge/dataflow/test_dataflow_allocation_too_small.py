"""allocation-too-small: fewer bytes allocated than the pointer's type needs."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

RECORD = "struct rec { char name[30]; int status; };\n"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        # a constant smaller than the struct (CodeQL's cpp/allocation-too-small)
        (
            RECORD
            + "int f(void){ struct rec *r = malloc(30); if (!r) return 1; r->status = 1; free(r); return 0; }",
            "smaller than the 36-byte",
        ),
        # a constant that is no multiple of the element (cpp/suspicious-allocation-size), through a cast
        (
            "int f(void){ int *a = (int *)malloc(10); if (!a) return 1; a[0] = 1; free(a); return 0; }",
            "not a multiple",
        ),
        # calloc's count times its element size
        ("int f(void){ long *c = calloc(3, 4); if (!c) return 1; c[0] = 1; free(c); return 0; }", "12 bytes"),
        # an element count used as the byte count, then n elements written
        (
            "int f(int n){ int *v = malloc(n); if (!v) return 1; for (int i = 0; i < n; i++) v[i] = i;"
            " free(v); return 0; }",
            "not multiplied by sizeof",
        ),
        # a string's length alone, then the string copied in: no room for the NUL
        (
            "char *f(const char *s){ char *p = malloc(strlen(s)); if (!p) return NULL; strcpy(p, s); return p; }",
            "terminating NUL",
        ),
        (
            "char *f(const char *s){ size_t n = strlen(s); char *p = malloc(n); if (!p) return NULL;"
            ' sprintf(p, "%s", s); return p; }',
            "terminating NUL",
        ),
        # the same through an assignment and a count read from the input
        (
            'int f(void){ int n; double *d; if (scanf("%d", &n) != 1 || n <= 0 || n > 100) return 1;'
            " d = malloc(n + 1); if (!d) return 1; for (int i = 0; i <= n; i++) d[i] = 0; free(d); return 0; }",
            "elements of 8 bytes",
        ),
    ],
)
def test_too_small_allocations_are_found(query_hits, code, words) -> None:
    found = query_hits("allocation-too-small", code)
    assert found and words in found[0].message and "CWE-131" in found[0].cwe_ids, found


@pytest.mark.parametrize(
    "code",
    [
        "int f(int n){ int *v = malloc(n * sizeof(int)); if (!v) return 1; for (int i = 0; i < n; i++) v[i] = i;"
        " free(v); return 0; }",
        # the byte count computed with sizeof first
        "int f(int n){ size_t bytes = n * sizeof(int); int *v = malloc(bytes); if (!v) return 1;"
        " for (int i = 0; i < n; i++) v[i] = i; free(v); return 0; }",
        # a byte buffer: a count of chars is a count of bytes
        "int f(int n){ char *s = malloc(n); if (!s) return 1; for (int i = 0; i < n; i++) s[i] = 0; free(s); return 0; }",
        # a constant multiple of the element
        "int f(void){ int *a = malloc(16); if (!a) return 1; a[3] = 1; free(a); return 0; }",
        # calloc counts elements
        "int f(int n){ int *v = calloc(n, sizeof *v); if (!v) return 1; for (int i = 0; i < n; i++) v[i] = i;"
        " free(v); return 0; }",
        # a struct ending in a flexible array member
        "struct msg { int len; char data[]; };\n"
        "int f(void){ struct msg *m = malloc(sizeof(struct msg) + 10); if (!m) return 1; m->len = 10; free(m); return 0; }",
        # room for the NUL, or a copy of the bytes without one
        "char *f(const char *s){ char *p = malloc(strlen(s) + 1); if (!p) return NULL; strcpy(p, s); return p; }",
        "char *f(const char *s){ size_t n = strlen(s); char *p = malloc(n); if (!p) return NULL; memcpy(p, s, n);"
        " return p; }",
        # a byte count that no index is compared with
        "int f(int bytes){ int *v = malloc(bytes); if (!v) return 1; v[0] = 1; free(v); return 0; }",
    ],
)
def test_allocations_that_fit_their_type_are_not_reported(query_hits, code) -> None:
    assert query_hits("allocation-too-small", code) == []


def test_strings_joined_into_a_block_sized_for_fewer(query_hits) -> None:
    code = "char *f(const char *a, const char *b) { char *p = malloc(SIZE); if (!p) return 0; strcpy(p, a); FILL return p; }"
    cases = {
        ("strlen(a) + 1", 'strcat(p, " "); strcat(p, b);'): True,  # b's length is not counted
        ("strlen(a) + strlen(b) + 1", 'strcat(p, " "); strcat(p, b);'): True,  # the separator takes the NUL
        ("strlen(a) + strlen(b) + 2", 'strcat(p, " "); strcat(p, b);'): False,
        ("strlen(a) + 4", 'strcat(p, ".txt");'): True,
        ("strlen(a) + 5", 'strcat(p, ".txt");'): False,
        ("strlen(a) + strlen(b) + 1", 'strcat(p, "-");'): False,  # b's unused length may be the room
        ("strlen(a) + 1", "sprintf(p + strlen(p), \"%s\", b);"): False,  # not added up: not reported
    }
    for (size, fill), bad in cases.items():
        found = query_hits("concat-past-allocation", code.replace("SIZE", size).replace("FILL", fill))
        assert bool(found) is bad, (size, fill)
    via_length = "char *g(const char *a, const char *b) { size_t n = strlen(a); char *p = malloc(n + 1); if (!p) return 0; strcpy(p, a); strcat(p, b); return p; }"
    assert "'b'" in query_hits("concat-past-allocation", via_length)[0].message
