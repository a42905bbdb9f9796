"""call_sites: what the file's own calls hand their callees (input, or numbers kept in range)."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

FILL = (
    "static void fill(unsigned char *rgb, int w, int h) {"
    " for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) rgb[(y * w + x) * 3] = 1; }\n"
    "int main(int argc, char **argv) { if (argc != 3) return 1;"
    " int w = atoi(argv[1]); int h = atoi(argv[2]); CHECK"
    " unsigned char *rgb = malloc((size_t)w * h * 3); if (!rgb) return 1; fill(rgb, w, h); free(rgb); return 0; }"
)


def test_a_number_main_checked_is_no_input_in_the_callee(query_hits) -> None:
    checked = FILL.replace("CHECK", "if (w <= 0 || h <= 0 || w > 8192 || h > 8192) return 1;")
    assert query_hits("out-of-bounds", checked) == []
    # one end only: the callee still gets input
    assert query_hits("out-of-bounds", FILL.replace("CHECK", "if (w <= 0 || h <= 0) return 1;"))


TIMES = (
    "static void repeat(char *out, int times) { int total = times * 8; memset(out, 'a', total); }\n"
    "int main(int argc, char **argv) { static char buf[4096]; long t = strtol(argv[1], NULL, 10);"
    " CHECK repeat(buf, (int)t); return 0; }"
)


@pytest.mark.parametrize(
    ("check", "reported"),
    [
        ("if (t < 1 || t > 16) return 1;", False),
        ("if (t < INT_MIN || t > INT_MAX) return 1;", True),  # the type's own limits bound nothing
        ("", True),
    ],
)
def test_a_check_of_the_types_limits_is_no_range(query_hits, check: str, reported: bool) -> None:
    code = "#include <limits.h>\n" + TIMES.replace("CHECK", check)
    assert bool(query_hits("integer-overflow", code)) is reported


def test_a_parameter_every_call_passes_a_constant_is_no_input(query_hits) -> None:
    code = (
        "static int pick(const int *t, int i) { return t[i]; }\n"
        "int main(void) { int t[4] = {1, 2, 3, 4}; return pick(t, 2) + pick(t, 3); }"
    )
    assert query_hits("out-of-bounds", code) == []
    assert query_hits("out-of-bounds", code.replace("pick(t, 3)", "pick(t, getchar())"))


def test_a_value_clamped_by_reassignment_is_in_range(query_hits) -> None:
    code = (
        "struct slot { int fd; };\n"
        'int main(void) { const char *e = getenv("N"); int m = e ? atoi(e) : 64;'
        " if (m < 1 || m > 10000) m = 64; int n = m + 1;"
        " struct slot *s = malloc(n * sizeof(struct slot)); free(s); return 0; }"
    )
    assert query_hits("uncontrolled-allocation-size", code) == []
    assert query_hits("uncontrolled-allocation-size", code.replace("if (m < 1 || m > 10000) m = 64;", ""))


def test_text_whose_length_the_caller_compared(query_hits) -> None:
    code = """static void format_line(char *out, const char *nick, const char *msg) {
    strcpy(out, "<"); strcat(out, nick); strcat(out, "> "); strcat(out, msg); }
int main(void) { char nick[64], msg[256], out[128];
    if (!fgets(nick, sizeof nick, stdin)) return 1;
    while (fgets(msg, sizeof msg, stdin)) {
        CHECK
        format_line(out, nick, msg); puts(out); }
    return 0; }"""
    measured = "if (strlen(nick) + strlen(msg) + 4 > sizeof out) continue;"
    assert query_hits("out-of-bounds", code.replace("CHECK", measured)) == []
    one = query_hits("out-of-bounds", code.replace("CHECK", "if (strlen(nick) + 4 > sizeof out) continue;"))
    assert [h.line for h in one] == [6]  # msg's strcat: only nick was measured
