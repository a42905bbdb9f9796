"""html-injection: input or a parameter printed raw into HTML by the printf family (CWE-79)."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend
from seccodegen.judge.dataflow.queries.html_injection import string_arguments

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

ESCAPER = """
static void put_escaped(FILE *out, const char *s) {
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", out); else if (*s == '&') fputs("&amp;", out); else fputc(*s, out);
    }
}
char *html_escape(const char *s);
void escape_into(char *dst, size_t n, const char *s);
"""


@pytest.mark.parametrize(
    "code",
    [
        # a tag in the call's own format
        'void f(FILE *out, const char *name){ fprintf(out, "<li><b>%s</b></li>", name); }',
        # the function escapes one value and prints the other raw: its output is HTML
        'void f(FILE *out, const char *a, const char *m){ put_escaped(out, a); fprintf(out, ": %s", m); }',
        # escaping a value into the stream does not make the value itself safe to print
        'void f(FILE *out, const char *a){ fputs("<b>", out); put_escaped(out, a); fprintf(out, "%s</b>", a); }',
        # input, not only parameters; puts of an HTML buffer built with sprintf
        'void f(void){ const char *q = getenv("QUERY_STRING"); printf("<p>%s</p>", q); }',
        'void f(const char *n){ char b[256]; snprintf(b, sizeof b, "<h1>%s</h1>", n); puts(b); }',
        # a CGI program's helper: the page is declared elsewhere in the file
        'void greet(FILE *o, const char *n){ fprintf(o, "Welcome, %s!", n); }\n'
        'int main(int c, char **v){ printf("Content-Type: text/html\\r\\n\\r\\n"); greet(stdout, v[1]); return 0; }',
        # the format kept in a local first
        'void f(FILE *o, const char *n){ const char *t = "<a href=\\"/u/%s\\">me</a>"; fprintf(o, t, n); }',
        # widths taken from arguments shift the %s to the right argument
        'void f(const char *n, int w){ printf("<td>%*d %s</td>", w, 3, n); }',
    ],
)
def test_raw_values_in_html_are_found(query_hits, code: str) -> None:
    found = query_hits("html-injection", ESCAPER + code)
    assert found and found[0].cwe_ids == ("CWE-79",), found


@pytest.mark.parametrize(
    "code",
    [
        # everything escaped, through the stream, a returned copy, or a filled buffer
        'void f(FILE *out, const char *a){ fputs("<b>", out); put_escaped(out, a); fputs("</b>", out); }',
        'void f(const char *n){ char *s = html_escape(n); printf("<p>%s</p>", s); printf("<i>%s</i>", html_escape(n)); }',
        'void f(const char *n){ char b[256]; escape_into(b, sizeof b, n); printf("<p>%s</p>", b); }',
        # numbers, literals and stderr are not the page; plain text in a program that writes no HTML
        'void f(const char *n, int k){ printf("<p>%d</p>", k); printf("<p>%s</p>", "x");'
        ' fprintf(stderr, "<bad> %s", n); }',
        'void f(const char *n){ printf("hello %s\\n", n); }',
        # a buffer built with a tag and then escaped as a whole
        'void f(FILE *o, const char *n){ char b[99]; snprintf(b, sizeof b, "<b>%s</b>", n); put_escaped(o, b); }',
        # a value checked for '<' first
        'void f(const char *n){ if (strchr(n, \'<\')) return; printf("<p>%s</p>", n); }',
        # escaping written inline: a loop over the characters that replaces '<', into a buffer
        'void f(const char *n){ char e[600]; size_t j = 0; for (size_t i = 0; n[i] && i < 99; i++) {'
        ' switch (n[i]) { case \'<\': memcpy(e + j, "&lt;", 4); j += 4; break; default: e[j++] = n[i]; } }'
        ' e[j] = 0; printf("<h1>%s</h1>", e); }',
        # an allow-list flag computed from the characters
        'void f(const char *n){ int ok = 1; for (const char *p = n; *p; p++) { int a = *p >= \'a\' && *p <= \'z\';'
        ' if (!a) ok = 0; } if (ok) printf("<a href=\\"/u/%s\\">x</a>", n); }',
    ],
)
def test_escaped_checked_or_non_html_output_is_not(query_hits, code: str) -> None:
    assert query_hits("html-injection", ESCAPER + code) == []


def test_string_arguments_follow_the_format() -> None:
    assert string_arguments("<a href='%s'>%d%% %s</a>", 1) == [1, 3]
    assert string_arguments("%-*s|%.*s", 0) == [1, 3]


def test_a_usage_line_with_placeholders_is_no_html(query_hits) -> None:
    code = (
        "int main(int argc, char **argv) { if (argc != 2) { fprintf(stderr, \"usage: %s <word>\\n\", argv[0]);"
        " return 1; } puts(argv[1]); return 0; }"
    )
    assert query_hits("html-injection", code) == []
    assert query_hits("html-injection", code.replace("puts(argv[1]);", "printf(\"<li>%s</li>\", argv[1]);"))
