"""dangling-pointer: pointers into a temporary string, a destroyed local string or a stack frame."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

MAKE = 'std::string make_name(int id) { return "user" + std::to_string(id); }\n'


@pytest.mark.parametrize(
    ("code", "language", "words"),
    [
        (MAKE + "int f(){ const char *n = make_name(7).c_str(); return n[0]; }", "cpp", "temporary string"),
        (
            'int f(const std::string &a){ const char *q = (a + "y").c_str(); return q[0]; }',
            "cpp",
            "temporary",
        ),
        (MAKE + "int f(){ const char *n; n = make_name(3).data(); return n[0]; }", "cpp", "temporary"),
        (
            "const char *f(int id){ std::string s = std::to_string(id); return s.c_str(); }",
            "cpp",
            "local string 's'",
        ),
        (
            'const char *f(int id){ char buf[32]; snprintf(buf, sizeof buf, "%d", id); return buf; }',
            "c",
            "'buf'",
        ),
        ("int *f(void){ int x = 1; return &x; }", "c", "'x'"),
        ("char *f(void){ char buf[8]; char *p = buf; buf[0] = 0; return p; }", "c", "'buf'"),
    ],
)
def test_pointers_that_outlive_their_storage_are_found(query_hits, code, language, words) -> None:
    found = query_hits("dangling-pointer", code, language)
    assert found and words in found[0].message and "CWE-416" in found[0].cwe_ids, found


@pytest.mark.parametrize(
    ("code", "language"),
    [
        # the temporary lives until the end of the full expression: a direct argument is fine
        (MAKE + "int f(){ return (int)strlen(make_name(7).c_str()); }", "cpp"),
        # a named string lives on
        (MAKE + "int f(){ std::string n = make_name(7); const char *p = n.c_str(); return p[0]; }", "cpp"),
        # a reference returned by a getter is no temporary
        (
            "struct U { std::string name; const std::string &get() const { return name; } };\n"
            "int f(const U &u){ const char *p = u.get().c_str(); return p[0]; }",
            "cpp",
        ),
        # a parameter's buffer, a static array, a heap block
        ("const char *f(const std::string &s){ return s.c_str(); }", "cpp"),
        (
            'const char *f(int id){ static char buf[32]; snprintf(buf, sizeof buf, "%d", id); return buf; }',
            "c",
        ),
        ("char *f(void){ char *p = malloc(8); if (p) p[0] = 0; return p; }", "c"),
        # a stored temporary's buffer never read again
        (MAKE + "void f(){ const char *n = make_name(7).c_str(); (void)0; }", "cpp"),
    ],
)
def test_pointers_into_live_storage_are_not_reported(query_hits, code, language) -> None:
    assert query_hits("dangling-pointer", code, language) == []
