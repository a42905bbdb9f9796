"""unbounded-backward-scan: a loop that walks a position down from the end of a string and stops
only on the data's content."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")


@pytest.mark.parametrize(
    ("language", "code", "cwe"),
    [
        ("c", "void f(char *s){ size_t n = strlen(s); while (isspace((unsigned char)s[n - 1])) n--; s[n] = 0; }",
         "CWE-125"),
        ("c", "void f(char *s){ char *e = s + strlen(s) - 1; while (isspace((unsigned char)*e)) e--; e[1] = 0; }",
         "CWE-125"),
        # the position is set in the for's own header, and the body writes through it
        ("c", "void f(char *s){ int i; for (i = strlen(s) - 1; s[i] == ' '; i--) s[i] = 0; }", "CWE-787"),
        ("cpp", "void f(std::string& l){ int i = (int)l.size() - 1; while (std::isspace((unsigned char)l[i])) --i;"
         " l.resize(i + 1); }", "CWE-125"),
        ("cpp", "void f(std::string& l){ auto it = l.end() - 1; while (*it == ' ') --it; l.erase(it + 1, l.end()); }",
         "CWE-125"),
    ],
)
def test_a_scan_that_nothing_stops_at_the_first_element_is_found(query_hits, language, code, cwe) -> None:
    found = query_hits("unbounded-backward-scan", code, language)
    assert found and cwe in found[0].cwe_ids, found

@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("c", "void f(char *s){ size_t n = strlen(s); while (n > 0 && isspace((unsigned char)s[n - 1])) n--; s[n] = 0; }"),
        ("c", "void f(char *s){ char *e = s + strlen(s) - 1; while (e >= s && *e == ' ') e--; e[1] = 0; }"),
        ("c", "void f(char *s){ int i = strlen(s) - 1; while (s[i] == ' ') { if (i == 0) break; i--; } }"),
        ("c", "void f(char *s){ int i; for (i = strlen(s) - 1; i >= 0 && s[i] == ' '; i--) s[i] = 0; }"),
        # forward scans stop at the terminator; a position from a parameter is not known to be the end
        ("c", "void f(char *s){ int i = 0; while (s[i] == ' ') i++; }"),
        ("c", "void f(char *s, int n){ while (s[n] == ' ') n--; }"),
        ("cpp", "void f(std::string& l){ auto it = l.end(); while (it != l.begin() && *(it - 1) == ' ') --it;"
         " l.erase(it, l.end()); }"),
        ("cpp", "void f(std::string& l){ while (!l.empty() && std::isspace((unsigned char)l.back())) l.pop_back(); }"),
    ],
)
def test_a_bounded_scan_is_not_reported(query_hits, language, code) -> None:
    assert query_hits("unbounded-backward-scan", code, language) == []
