"""off-by-one-bound: a write whose index the checks let reach the buffer's size."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

CALLER = '\nint main(void){ char field[64]; return f("12:abc", 6, field, sizeof field); }\n'


@pytest.mark.parametrize(
    "code",
    [
        # the netstring bug: `len > out_size` leaves, so len == out_size reaches out[len]
        "int f(const char *buf, size_t n, char *out, size_t out_size){ unsigned long len = strtoul(buf, 0, 10);"
        " if (len > out_size) return -1; memcpy(out, buf, len); out[len] = '\\0'; return 0; }" + CALLER,
        # the same bound inside a failed `a || b`, size known from a call inside the function
        'int f(const char *buf, size_t n, char *out, size_t cap){ snprintf(out, cap, "-"); size_t len = strlen(buf);'
        " if (n < 2 || len > cap) return -1; memcpy(out, buf, len); out[len] = 0; return 0; }",
        # a loop `i <= size` over a buffer whose size the caller passes
        "int f(const char *s, size_t n, char *dst, size_t size){ for (size_t i = 0; i <= size; i++) dst[i] = s[i];"
        " return 0; }" + CALLER,
        # a fixed-size array bounded by its own size through a held condition
        "void f(const char *s){ char buf[32]; size_t k = strlen(s); if (k <= sizeof buf) { memcpy(buf, s, k);"
        " buf[k] = 0; puts(buf); } }",
        # the terminator written at the size itself after strncpy(dst, src, size)
        "int f(const char *src, size_t n, char *dst, size_t size){ strncpy(dst, src, size); dst[size] = '\\0';"
        " return 0; }" + CALLER,
        # the terminator written where a copy loop `i < size && ...` stopped: i may equal size
        "int f(const char *s, size_t n, char *dst, size_t size){ size_t i; for (i = 0; i < size && s[i]; i++)"
        " dst[i] = s[i]; dst[i] = '\\0'; return (int)i; }" + CALLER,
        "void f(const char *s){ char buf[16]; int i = 0; while (s[i] && i < 16) { buf[i] = s[i]; i++; }"
        " buf[i] = 0; puts(buf); }",
    ],
)
def test_an_index_that_may_equal_the_size_is_found(query_hits, code) -> None:
    found = query_hits("off-by-one-bound", code)
    assert found and "CWE-193" in found[0].cwe_ids, found


@pytest.mark.parametrize(
    "code",
    [
        # the strict bound
        "int f(const char *buf, size_t n, char *out, size_t out_size){ unsigned long len = strtoul(buf, 0, 10);"
        " if (len >= out_size) return -1; memcpy(out, buf, len); out[len] = '\\0'; return 0; }" + CALLER,
        "int f(const char *buf, size_t n, char *out, size_t out_size){ unsigned long len = strtoul(buf, 0, 10);"
        " if (len + 1 > out_size) return -1; memcpy(out, buf, len); out[len] = '\\0'; return 0; }" + CALLER,
        "int f(const char *buf, size_t n, char *out, size_t out_size){ unsigned long len = strtoul(buf, 0, 10);"
        " if (len > out_size - 1) return -1; memcpy(out, buf, len); out[len] = '\\0'; return 0; }" + CALLER,
        # no evidence that the second parameter is the first's size: no call passes an array, and
        # the function uses them in no sized call
        "int f(const char *s, char *out, size_t count){ if (count > 100) return -1;"
        " for (size_t i = 0; i <= count; i++) out[i] = s[i]; return 0; }",
        # a tighter constant bound beside the loose one
        "void f(const char *s){ char buf[32]; size_t k = strlen(s); if (k > 20) return; if (k <= sizeof buf) {"
        " memcpy(buf, s, k); buf[k] = 0; puts(buf); } }",
        # a loop `i < size`
        "int f(const char *s, size_t n, char *dst, size_t size){ for (size_t i = 0; i < size; i++) dst[i] = s[i];"
        " return 0; }" + CALLER,
        # a bound against the input's length only, not the buffer's
        "int f(const char *buf, size_t n, char *out, size_t out_size){ size_t len = strlen(buf);"
        " if (len > n) return -1; out[0] = 0; return (int)len + (int)out_size; }" + CALLER,
        # a copy loop that stops one short of the size, or a check of where it stopped, or a new value
        "int f(const char *s, size_t n, char *dst, size_t size){ size_t i; for (i = 0; i + 1 < size && s[i]; i++)"
        " dst[i] = s[i]; dst[i] = '\\0'; return (int)i; }" + CALLER,
        "void f(const char *s){ char buf[16]; int i; for (i = 0; i < 15 && s[i]; i++) buf[i] = s[i]; buf[i] = 0;"
        " puts(buf); }",
        "void f(const char *s){ char buf[16]; int i; for (i = 0; i < 16 && s[i]; i++) buf[i] = s[i];"
        " if (i >= 16) return; buf[i] = 0; puts(buf); }",
        "void f(const char *s){ char buf[16]; int i; for (i = 0; i < 16 && s[i]; i++) buf[i] = s[i]; i = 15;"
        " buf[i] = 0; puts(buf); }",
        # the loop breaks on a test of the index before its condition can fail
        "void f(const char *s){ char buf[16]; int i; for (i = 0; i < 16 && s[i]; i++) { if (i == 15) break;"
        " buf[i] = s[i]; } buf[i] = 0; puts(buf); }",
        # reads are not reported
        "int f(const char *s, size_t n, char *out, size_t out_size){ size_t k = strlen(s); if (k > out_size)"
        " return -1; return out[k]; }" + CALLER,
    ],
)
def test_a_strict_or_unrelated_bound_is_not_reported(query_hits, code) -> None:
    assert query_hits("off-by-one-bound", code) == []


def test_a_stream_read_into_the_index_is_no_bound(query_hits) -> None:
    code = (
        "#include <iostream>\nbool f(std::istream& in){ char payload[128]; std::size_t len = 0;"
        " while (in >> len) { if (len > sizeof(payload)) return false; in.read(payload, len);"
        " payload[len] = '\\0'; std::cout << payload; } return true; }"
    )
    found = query_hits("off-by-one-bound", code, "cpp")
    assert found and "CWE-193" in found[0].cwe_ids, found
    assert (
        query_hits("off-by-one-bound", code.replace("len > sizeof(payload)", "len >= sizeof(payload)"), "cpp")
        == []
    )


def test_an_index_bounded_only_by_the_input_length_is_found(query_hits) -> None:
    code = (
        "int f(const char *buf, size_t n, char *out, size_t out_size){ unsigned long len = strtoul(buf, 0, 10);"
        " if (len > n) return -1; memcpy(out, buf, len); out[len] = '\\0'; return 0; }" + CALLER
    )
    found = query_hits("off-by-one-bound", code)
    assert found and found[0].cwe_ids == ("CWE-787", "CWE-129"), found
    # a bound computed from the size decides
    fixed = code.replace(
        "if (len > n) return -1;", "size_t room = out_size - 1; if (len > n || len > room) return -1;"
    )
    assert query_hits("off-by-one-bound", fixed) == []


URL_DECODE = (
    "int f(const char *src, char *dst, size_t dst_size){ size_t j = 0;"
    " for (size_t i = 0; src[i] != '\\0'; i++) { if (src[i] == '+') dst[j++] = ' '; else dst[j++] = src[i]; }"
    " dst[j] = '\\0'; return (int)j; }\n"
    "int main(int argc, char **argv){ char value[32]; return argc > 1 ? f(argv[1], value, sizeof value) : 0; }\n"
)


JOIN_TAGS = (
    "int f(char out[64], int count, char **tags){ int len = 0; for (int i = 0; i < count; i++) {"
    " if (len > 0) out[len++] = ','; size_t n = strlen(tags[i]); memcpy(out + len, tags[i], n); len += n; }"
    " out[len] = 0; return len; }\n"
    "int main(int argc, char **argv){ char joined[64]; return f(joined, argc - 1, argv + 1); }\n"
)


@pytest.mark.parametrize(
    "code",
    [
        URL_DECODE,
        # a loop bounded by the source's length only, not by the room in the destination
        URL_DECODE.replace("for (size_t i = 0; src[i] != '\\0'; i++)", "for (size_t i = 0; i < strlen(src); i++)"),
        URL_DECODE.replace("for (size_t i = 0; src[i] != '\\0'; i++)",
                           "size_t n = strlen(src); for (size_t i = 0; i < n; i++)"),
        # a pointer parameter walked while the data lasts, never compared with its size
        URL_DECODE.replace("size_t j = 0;", "char *out = dst;").replace("dst[j++]", "*out++")
        .replace("dst[j] = '\\0'; return (int)j;", "*out = '\\0'; return (int)(out - dst);"),
        # a bound on a count the loop never changes does not end it
        URL_DECODE.replace("for (size_t i = 0; src[i] != '\\0'; i++)",
                           "size_t len = 0; for (size_t i = 0; src[i] != '\\0' && len < dst_size - 1; i++)"),
        # a separator written after a test of whether anything was written yet (`len > 0` is no bound)
        JOIN_TAGS,
        # a fixed-size array filled while getchar() lasts
        "int f(void){ char line[80]; int c, n = 0; while ((c = getchar()) != EOF) line[n++] = (char)c;"
        " line[n] = 0; return puts(line); }",
        # a pointer into a fixed-size array, past what it holds, walked while the source lasts
        "int f(const char *src){ char buf[32] = \"name=\"; char *p = buf + strlen(buf); while (*src) *p++ = *src++;"
        " *p = 0; return puts(buf); }",
    ],
)
def test_a_counter_the_loop_never_compares_is_found(query_hits, code) -> None:
    found = query_hits("counted-write", code)
    assert found and found[0].cwe_ids == ("CWE-787", "CWE-120"), found


@pytest.mark.parametrize(
    "code",
    [
        # the decoder that tests the room left
        URL_DECODE.replace("{ if (src[i] == '+')", "{ if (j + 1 >= dst_size) return -1; if (src[i] == '+')"),
        # the loop condition compares the counter
        "int f(void){ char line[80]; int c, n = 0; while (n < 79 && (c = getchar()) != EOF) line[n++] = (char)c;"
        " line[n] = 0; return puts(line); }",
        # a loop that scans the buffer it writes, and the terminator written where that scan stopped
        "int f(void){ char name[32]; int n = 0; while (fgets(name, sizeof name, stdin)) { int i = 0;"
        " while (name[i] && name[i] != '\\n') { name[i] = (char)tolower(name[i]); i++; } name[i] = 0; n++; } return n; }",
        # the counter grows in an inner loop bounded by a comparison (another question than this one)
        "int f(const char *s, size_t len){ char buf[64]; size_t pos = 0; while (*s) { pos = 0;"
        " while (pos < len) buf[pos++] = *s; buf[pos] = 0; s++; } return buf[0]; }",
        # no evidence of the destination's size
        "int f(const char *src, char *dst){ size_t j = 0; for (size_t i = 0; src[i]; i++) dst[j++] = src[i];"
        " dst[j] = 0; return (int)j; }",
        # the source's length checked against the room first, or a loop bounded by a constant
        URL_DECODE.replace("for (size_t i = 0; src[i] != '\\0'; i++)",
                           "size_t n = strlen(src); if (n >= dst_size) return -1; for (size_t i = 0; i < n; i++)"),
        "int f(const char *s){ char buf[64]; int j = 0; for (int i = 0; i < 8 && s[i]; i++) { buf[j++] = s[i];"
        " buf[j++] = ' '; } buf[j] = 0; return puts(buf); }",
        # the count checked at the end of every pass, or the room counted down
        URL_DECODE.replace("else dst[j++] = src[i]; }", "else dst[j++] = src[i]; if (j >= dst_size) return -1; }"),
        URL_DECODE.replace("size_t j = 0;", "char *out = dst; size_t len = 0;").replace("dst[j++]", "*out++")
        .replace("else *out++ = src[i]; }", "else *out++ = src[i]; if (++len >= dst_size) return -1; }")
        .replace("dst[j] = '\\0'; return (int)j;", "*out = '\\0'; return (int)len;"),
        URL_DECODE.replace("size_t j = 0;", "char *out = dst;").replace("dst[j++]", "*out++")
        .replace("src[i] != '\\0'; i++", "src[i] != '\\0' && dst_size-- > 1; i++")
        .replace("dst[j] = '\\0'; return (int)j;", "*out = '\\0'; return (int)(out - dst);"),
        # the same join with the room checked before each tag is copied
        JOIN_TAGS.replace("size_t n = strlen(tags[i]);", "size_t n = strlen(tags[i]); if (len + n + 2 > 64) return -1;"),
        # the same walk compared with the array's end
        "int f(const char *src){ char buf[32] = \"name=\"; char *p = buf + strlen(buf); char *end = buf + sizeof buf - 1;"
        " while (*src && p < end) *p++ = *src++; *p = 0; return puts(buf); }",
        # a literal of known length into a larger buffer
        'void f(void){ char buf[32]; const char *s = "hello"; size_t i = 0; for (; s[i]; i++) buf[i] = s[i];'
        " buf[i] = 0; puts(buf); }",
    ],
)
def test_a_compared_counter_or_unknown_size_is_not_reported(query_hits, code) -> None:
    assert query_hits("counted-write", code) == []


def test_a_bound_of_constants_is_a_bound(query_hits) -> None:
    code = (
        "#include <stdexcept>\nconstexpr int kRows = 5;\nbool g_taken[kRows][8] = {};\n"
        "bool book(const char *code){ int row = code[0] - 'A'; if (row < 0 || row > kRows - 1)"
        ' throw std::invalid_argument("bad"); g_taken[row][0] = true; return true; }'
    )
    assert query_hits("off-by-one-bound", code, "cpp") == []


def test_a_container_index_bounded_by_its_size_non_strictly(query_hits) -> None:
    code = (
        "long f(const std::vector<int>& v, std::vector<int>& out) { long t = 0; int n = out.size();\n"
        "  for (std::size_t i = 0; i READ v.size(); ++i) t += v[i];\n"
        "  for (int j = 0; j WRITE n; ++j) out[j] = 0; return t; }"
    )
    found = query_hits("container-index-at-size", code.replace("READ", "<=").replace("WRITE", "<="), "cpp")
    assert [h.cwe_ids for h in found] == [("CWE-193", "CWE-125"), ("CWE-193", "CWE-787")]
    assert query_hits("container-index-at-size", code.replace("READ", "<").replace("WRITE", "<"), "cpp") == []
    checked = "int g(const std::vector<int>& v, std::size_t k) { if (k CMP v.size()) return -1; return v[k]; }"
    assert query_hits("container-index-at-size", checked.replace("CMP", ">"), "cpp")
    assert query_hits("container-index-at-size", checked.replace("CMP", ">="), "cpp") == []
    text = "char g(const std::string& s) { char c = 0; for (std::size_t i = 0; i <= s.size(); ++i) c ^= s[i]; return c; }"
    assert query_hits("container-index-at-size", text, "cpp") == []  # s[s.size()] is the string's NUL


def test_a_block_grown_only_when_the_count_exceeds_its_size(query_hits) -> None:
    code = """int f(void) { int cap = 4, n = 0, x; int *v = malloc(cap * sizeof(int)); if (!v) return 1;
  while (scanf("%d", &x) == 1) {
    if (GROW) { cap *= 2; int *t = realloc(v, sizeof(int) * cap); if (!t) { free(v); return 1; } v = t; }
    v[n++] = x;
  }
  free(v); return n; }"""
    found = query_hits("late-growth", code.replace("GROW", "n > cap"))
    assert [h.cwe_ids for h in found] == [("CWE-193", "CWE-787")]
    assert query_hits("late-growth", code.replace("GROW", "cap < n"))
    for in_time in ("n >= cap", "n == cap", "n + 1 > cap"):
        assert query_hits("late-growth", code.replace("GROW", in_time)) == []
    roomy = code.replace("malloc(cap * sizeof(int))", "malloc((cap + 1) * sizeof(int))")
    assert query_hits("late-growth", roomy.replace("GROW", "n > cap")) == []  # one spare element


def test_a_container_read_one_past_the_loop_index(query_hits) -> None:
    code = """std::string out(const std::vector<const char *> &args) { std::string o = "a.txt";
  for (std::size_t i = 0; i < args.size(); ++i) { std::string a = args[i]; if (a == "-o") { CHECK o = args[i + 1]; ++i; } }
  return o; }"""
    found = query_hits("container-index-at-size", code.replace("CHECK", ""), "cpp")
    assert [h.cwe_ids for h in found] == [("CWE-193", "CWE-125")]
    checked = code.replace("CHECK", "if (i + 1 >= args.size()) break;")
    assert query_hits("container-index-at-size", checked, "cpp") == []
    shorter = code.replace("i < args.size()", "i < args.size() - 1").replace("CHECK", "")
    assert query_hits("container-index-at-size", shorter, "cpp") == []


def test_a_window_that_fits_the_container_is_no_index_at_its_size(query_hits) -> None:
    code = """double peaks(const std::vector<double> &s, std::size_t w) { double t = 0;
    for (std::size_t start = 0; BOUND; ++start) t += s[start];
    return t; }"""
    assert query_hits("container-index-at-size", code.replace("BOUND", "start + w <= s.size()"), "cpp") == []
    assert query_hits("container-index-at-size", code.replace("BOUND", "start <= s.size()"), "cpp")


def test_a_terminator_after_a_loop_into_the_callers_array(query_hits) -> None:
    code = """#define TOKEN_MAX 16
static void first_token(const char *line, char *tok) { size_t i;
    for (i = 0; i < TOKEN_MAX && line[i] && !isspace((unsigned char)line[i]); i++) tok[i] = line[i];
    tok[i] = '\\0'; }
int main(void) { char line[128]; char tok[SIZE]; if (!fgets(line, sizeof line, stdin)) return 1;
    first_token(line, tok); return puts(tok); }"""
    hits = query_hits("off-by-one-bound", code.replace("SIZE", "TOKEN_MAX"))
    assert [h.line for h in hits] == [8], hits
    assert query_hits("off-by-one-bound", code.replace("SIZE", "TOKEN_MAX + 1")) == []


def test_a_bound_named_by_a_define_of_the_count(query_hits) -> None:
    code = """#define NBINS 10
static int bins[NBINS];
int add(int score) { int b = score / 10; if (b < 0 || b CMP NBINS) return -1; bins[b]++; return 0; }"""
    assert query_hits("off-by-one-bound", code.replace("CMP", ">"))  # b == NBINS passes
    assert query_hits("off-by-one-bound", code.replace("CMP", ">=")) == []
