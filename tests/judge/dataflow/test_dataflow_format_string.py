"""tainted-format-string: input, or a string parameter built into it, used as a printf format."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

VA_WRAPPER = (
    "#include <stdarg.h>\n"
    "static void say(const char *fmt, ...){ va_list ap; va_start(ap, fmt); vfprintf(stdout, fmt, ap); va_end(ap); }\n"
)


@pytest.mark.parametrize(
    "code",
    [
        # input straight into the format
        "int main(void){ char line[128]; if (!fgets(line, sizeof line, stdin)) return 1; printf(line); return 0; }",
        # through a copy appended at an offset, then the file's own variadic wrapper
        VA_WRAPPER + "int main(void){ char buf[100] = \"\"; char *e = getenv(\"X\");"
        " if (e) strncat(buf + strlen(buf), e, 99 - strlen(buf)); say(buf, buf); return 0; }",
        # a wrapper of a wrapper, called with argv
        "static void show(const char *s){ printf(s); }\nstatic void log_it(const char *m){ show(m); }\n"
        "int main(int argc, char **argv){ if (argc > 1) log_it(argv[1]); return 0; }",
        # a string parameter formatted into the buffer that becomes the format
        "void greet(const char *name){ char msg[64]; snprintf(msg, sizeof msg, \"Hello %s\\n\", name); printf(msg); }",
        # syslog's format
        "#include <syslog.h>\nvoid f(int fd){ char b[64]; ssize_t n = read(fd, b, 63); if (n <= 0) return; b[n] = 0;"
        " syslog(LOG_INFO, b); }",
    ],
)
def test_input_in_a_format_is_found(query_hits, code) -> None:
    found = query_hits("tainted-format-string", "#include <unistd.h>\n" + code)
    assert found and found[0].cwe_ids == ("CWE-134",), found


@pytest.mark.parametrize(
    "code",
    [
        "int main(void){ char line[128]; if (!fgets(line, sizeof line, stdin)) return 1; printf(\"%s\", line); return 0; }",
        # the wrapper gets a constant string; input goes in as an argument
        VA_WRAPPER + "int main(void){ char buf[100]; strcpy(buf, \"fixed\"); say(buf, buf);"
        " char *e = getenv(\"X\"); if (e) say(\"%s\", e); return 0; }",
        # a number formatted into a format cannot add conversions
        "void pad(const char *s, int width){ char fmt[16]; snprintf(fmt, sizeof fmt, \"%%%ds\\n\", width); printf(fmt, s); }",
        # a format chosen by a test of the input is still one of two literals
        "void banner(const char *title){ const char *prefix = strlen(title) < 30 ? \"=\" : \" \";"
        " for (int i = 0; i < 30; i++) printf(prefix); }",
        # a parameter passed on unchanged is the callers' business (a wrapper)
        "void show(const char *s){ printf(s); }",
        # a '%' allow-list check that leaves first
        "int main(void){ char line[128]; if (!fgets(line, sizeof line, stdin)) return 1;"
        " for (char *p = line; *p; p++) if (*p == '%') return 1; printf(line); return 0; }",
    ],
)
def test_constant_or_checked_formats_are_not_reported(query_hits, code) -> None:
    assert query_hits("tainted-format-string", code) == []


def test_input_kept_in_a_global_buffer_reaches_another_functions_format(query_hits) -> None:
    code = """static char titles[8][64]; static int n;
static void load(FILE *in) { while (n < 8 && fgets(titles[n], 64, in)) n++; }
static void show(void) { for (int i = 0; i < n; i++) PRINT; }
int main(void) { load(stdin); show(); return 0; }"""
    assert query_hits("tainted-format-string", code.replace("PRINT", "printf(titles[i])"))
    assert query_hits("tainted-format-string", code.replace("PRINT", 'printf("%s", titles[i])')) == []
    # a global only ever given literals holds no input
    fixed = code.replace("fgets(titles[n], 64, in)", 'strcpy(titles[n], "item")')
    assert query_hits("tainted-format-string", fixed.replace("PRINT", "printf(titles[i])")) == []
