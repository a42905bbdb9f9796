"""The integer-overflow and out-of-bounds queries on tiny programs: each weakness and its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccodegen.judge.dataflow import analyze_translation_unit, frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

HDR = "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <limits.h>\n"


def hits(tmp_path: Path, query: str, code: str, language: str = "c") -> list:
    from seccodegen.judge.dataflow.queries.base import QUERIES
    from seccodegen.judge.dataflow.queries.integer_overflow import IntegerOverflow  # noqa: F401
    from seccodegen.judge.dataflow.queries.out_of_bounds import OutOfBounds  # noqa: F401

    path = tmp_path / ("t.c" if language == "c" else "t.cpp")
    path.write_text(HDR + code)
    q = QUERIES.get(query)()
    return [h for fn in analyze_translation_unit(path, language) for h in q.run(fn, language)]


@pytest.mark.parametrize(
    "code",
    [
        'int main(void){ long long d = LLONG_MAX; long long r = d + 1; printf("%lld", r); return 0; }',
        'int main(void){ int d = rand(); int r = d * d; printf("%d", r); return 0; }',
        'int main(void){ unsigned u = (unsigned)rand(); ++u; printf("%u", u); return 0; }',
        "int main(int c, char **v){ int n = atoi(v[1]); char *p = malloc(n * 4); free(p); return 0; }",
        "int *grid(int rows, int cols){ return malloc(rows * cols * sizeof(int)); }",
        "int sum(const int *a, int n){ int t = 0; for (int i = 0; i < n; i++) t += a[i]; return t; }",
        # "!w" in the failed check is passed over; w, h <= 100000 still wrap 32 bits
        "int *grid(unsigned w, unsigned h){ if (!w || !h || w > 100000u || h > 100000u) return NULL;"
        " return malloc(w * h * sizeof(int)); }",
        # an accumulation written out; the loop checks the pointer's position, not the values
        "int sum(const int *p, int n){ int t = 0; const int *end = p + n; while (p < end) t = t + *p++; return t; }",
    ],
)
def test_overflow_is_found(tmp_path: Path, code: str) -> None:
    found = hits(tmp_path, "integer-overflow", code)
    assert found and "CWE-190" in found[0].cwe_ids, found


@pytest.mark.parametrize(
    "code",
    [
        'int main(void){ long long d = LLONG_MAX; if (d < LLONG_MAX) { long long r = d + 1; printf("%lld", r); } return 0; }',
        'int main(void){ int d = 2; int r = d * d; printf("%d", r); return 0; }',
        "int main(int c, char **v){ char *p = malloc(strlen(v[1]) + 1); free(p); return 0; }",
        "int *grid(int rows, int cols){ if (rows <= 0 || cols <= 0 || rows > INT_MAX / cols) return NULL;"
        " return malloc((size_t)rows * cols * sizeof(int)); }",
        "int add(int a, int b){ return a + b; }",  # a parameter's sum that reaches no sink
        "int *grid(unsigned w, unsigned h){ if (!w || !h || w > 1000u || h > 1000u) return NULL;"
        " return malloc(w * h * sizeof(int)); }",  # at most 4e6 bytes
        # a negated group flips its atoms: no bound is read from it, so the check is only a guard
        "int *grid(unsigned w, unsigned h){ if (!(w <= 1000u && h <= 1000u)) return NULL;"
        " return malloc(w * h * sizeof(int)); }",
        "int sum(const int *p, int n){ int t = 0; const int *end = p + n;"
        " while (p < end) { if (*p > 1000 || *p < -1000 || t > 1000000 || t < -1000000) return 0; t = t + *p++; } return t; }",
    ],
)
def test_checked_or_harmless_arithmetic_is_not(tmp_path: Path, code: str) -> None:
    assert hits(tmp_path, "integer-overflow", code) == []


@pytest.mark.parametrize(
    ("code", "cwe"),
    [
        ("int get(const int *a, int i){ return a[i]; }", "CWE-125"),
        ("void put(int *a, int i){ if (i < 10) a[i] = 1; }", "CWE-787"),  # no lower bound
        (  # day, read from the same text as month, is compared on its own: no flag of month's bounds
            "const char *N[12]; const char *name(const char *s){ int m = atoi(s), d = atoi(s + 3);"
            " if (m > 12 || d > 31) return 0; return N[m - 1]; }",
            "CWE-125",
        ),
        ("void cp(const char *s){ char b[16]; strcpy(b, s); puts(b); }", "CWE-787"),
        (
            "int main(void){ char b[8]; char in[64]; fgets(in, 64, stdin); size_t n = strlen(in);"
            " int k = atoi(in); memcpy(b, in, k); return n > 0; }",
            "CWE-787",
        ),
        ("void z(void){ char b[10]; for (int i = 0; i <= 10; i++) b[i] = 0; puts(b); }", "CWE-787"),
        (
            "void cpy(const char *s, int n){ char b[32]; for (int i = 0; i < n; i++) b[i] = s[i]; puts(b); }",
            "CWE-787",
        ),
    ],
)
def test_out_of_bounds_is_found(tmp_path: Path, code: str, cwe: str) -> None:
    found = hits(tmp_path, "out-of-bounds", code)
    assert found and cwe in found[0].cwe_ids, found


@pytest.mark.parametrize(
    "code",
    [
        "int get(const int *a, int i){ if (i < 0 || i >= 10) return -1; return a[i]; }",
        "int get(const int *a, unsigned i){ if (i >= 10) return -1; return a[i]; }",
        "int get(const int *a, int i){ int ok = i >= 0 && i < 10; if (!ok) return -1; return a[i]; }",
        "const char *N[12]; const char *name(const char *s){ int m = atoi(s), d = atoi(s + 3);"
        " if (m < 1 || m > 12 || d > 31) return 0; return N[m - 1]; }",
        "void cp(const char *s){ char b[16]; if (strlen(s) >= sizeof b) return; strcpy(b, s); puts(b); }",
        "void z(void){ char b[10]; for (int i = 0; i < 10; i++) b[i] = 0; b[9] = 0; puts(b); }",
        "void cpy(const char *s, int n){ char b[32]; if (n > 31) n = 31; for (int i = 0; i < n; i++)"
        " b[i] = s[i]; puts(b); }",
    ],
)
def test_bounded_accesses_are_not(tmp_path: Path, code: str) -> None:
    assert hits(tmp_path, "out-of-bounds", code) == []


# a destination parameter that every caller fills with a 64-byte array: sized like the array
JOIN_CALLER = "int main(int argc, char **argv){ char path[64]; if (!join(argv[1], argv[2], path)) return 1; puts(path); }"


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("strcpy(out, a); strcat(out, \"/\"); strcat(out, b); return 1;", True),
        # the check comes after the write: too late
        ("strcpy(out, a); if (strlen(out) >= 64) return 0; strcat(out, b); return 1;", True),
        ("if (strlen(a) + strlen(b) + 2 > 64) return 0; strcpy(out, a); strcat(out, \"/\"); strcat(out, b); return 1;",
         False),
        ("snprintf(out, 64, \"%s/%s\", a, b); return 1;", False),
    ],
)  # fmt: skip
def test_a_copy_into_a_parameter_every_caller_sizes_is_checked_like_one_into_the_array(
    tmp_path: Path, body: str, found: bool
) -> None:
    code = "int join(const char *a, const char *b, char *out){ " + body + " }\n" + JOIN_CALLER
    assert bool(hits(tmp_path, "out-of-bounds", code)) is found
    # a caller that passes a pointer of unknown size: the destination's size is unknown, no finding
    other = code.replace("char path[64]; ", "char *path = malloc(strlen(argv[1]) + strlen(argv[2]) + 2); ")
    assert hits(tmp_path, "out-of-bounds", other) == []


@pytest.mark.parametrize(
    ("code", "found"),
    [
        # both sides checked against 100000: the 32-bit product may still wrap (10^10 > 2^32)
        (
            "#define MAX_SIDE 100000u\nvoid *grid(unsigned w, unsigned h){ if (w > MAX_SIDE || h > MAX_SIDE)"
            " return NULL; return malloc(w * h * 8); }",
            True,
        ),
        (
            "void *grid(unsigned w, unsigned h){ if (w <= 70000 && h <= 70000) return malloc(w * h); return NULL; }",
            True,
        ),
        # bounds whose product fits
        (
            "#define MAX_SIDE 1000\nvoid *grid(unsigned w, unsigned h){ if (w > MAX_SIDE || h > MAX_SIDE)"
            " return NULL; return malloc(w * h * 8); }",
            False,
        ),
        (
            "void *grid(unsigned w, unsigned h){ if (w < 60000 && h < 60000) return malloc(w * h); return NULL; }",
            False,
        ),
        # compared with a variable: a guard, whatever it proves
        (
            "void *grid(unsigned w, unsigned h, unsigned lim){ if (w > lim || h > lim) return NULL;"
            " return malloc(w * h); }",
            False,
        ),
    ],
)
def test_constant_checks_bound_an_operation_by_its_type(tmp_path: Path, code: str, found: bool) -> None:
    assert bool(hits(tmp_path, "integer-overflow", code)) == found


@pytest.mark.parametrize(
    ("code", "cwe"),
    [
        ("int hist[11];\nvoid count(int score){ hist[score / 10]++; }", "CWE-787"),  # ++ writes
        ("int hist[11];\nvoid count(int score){ ++hist[score]; }", "CWE-787"),
        ("int hist[11];\nint get(int score){ return hist[score]; }", "CWE-125"),
        # pointer offsets that are returned or dereferenced
        ("const char *tail(const char *s, size_t n){ return s + strlen(s) - n; }", "CWE-125"),
        ("char at(const char *s, int i){ return *(s + i); }", "CWE-125"),
        ("void clear(char *s, int i){ *(s + i) = 0; }", "CWE-787"),
        # a branch of a conditional is returned; its condition only rules out n == 0
        ('const char *tail(const char *s, size_t n){ return n > 0 ? s + n - 1 : ""; }', "CWE-125"),
        # a check in the wrong direction: the offset is used where n >= len held
        (
            "const char *tail(const char *s, size_t n){ if (n >= strlen(s)) return s + strlen(s) - n; return s; }",
            "CWE-125",
        ),
        (
            "const char *tail(const char *s, size_t n){ if (n < strlen(s)) return s; return s + strlen(s) - n; }",
            "CWE-125",
        ),
        ("int hist[11];\nint get(int i){ if (i < 0) return hist[i]; return 0; }", "CWE-125"),
        # comparing the offset pointer with its base for equality bounds nothing
        (
            "const char *tail(const char *s, size_t n){ const char *e = s + n - 1; if (e == s) return s; return e; }",
            "CWE-125",
        ),
    ],
)
def test_writes_through_increments_and_pointer_offsets(tmp_path: Path, code: str, cwe: str) -> None:
    found = hits(tmp_path, "out-of-bounds", code)
    assert found and cwe in found[0].cwe_ids, found


def test_std_array_increment_is_a_write(tmp_path: Path) -> None:
    code = (
        "#include <array>\n#include <vector>\nstd::array<int, 11> build(const std::vector<int>& scores)"
        " { std::array<int, 11> h{}; for (int s : scores) h[s / 10]++; return h; }"
    )
    found = hits(tmp_path, "out-of-bounds", code, "cpp")
    assert found and "CWE-787" in found[0].cwe_ids, found


@pytest.mark.parametrize(
    "code",
    [
        "const char *tail(const char *s, size_t n){ size_t len = strlen(s); if (n > len) n = len; return s + len - n; }",
        "const char *tail(const char *s, size_t n){ size_t len = strlen(s); if (n >= len) return s; return s + len - n; }",
        "void zero(char *p, size_t n){ for (size_t i = 0; i < n; i++) *(p + i) = 0; }",
        "const char *tail(const char *s, size_t n){ size_t len = strlen(s); return n <= len ? s + len - n : s; }",
        "const char *tail(const char *s, size_t n){ if (n > strlen(s)) return s; return s + strlen(s) - n; }",
        "const char *tail(const char *s, size_t n){ if (strlen(s) >= n) return s + strlen(s) - n; return s; }",
        "int get(const int *h, int i){ if (i < 0 || i > 10) return 0; return *(h + i); }",
        # a flag computed from the offset is a check of it
        "const char *tail(const char *s, size_t n){ size_t len = strlen(s); int ok = n <= len;"
        " if (!ok) return s; return s + len - n; }",
        "int sum(const int *p, size_t n){ return count(p + n); }",  # passed on: the callee's to check
    ],
)
def test_checked_or_passed_on_pointer_offsets_are_not(tmp_path: Path, code: str) -> None:
    assert hits(tmp_path, "out-of-bounds", "int count(const int *p);\n" + code) == []


def test_a_loop_bound_on_the_index_that_picked_the_input_is_no_check_of_its_value(query_hits) -> None:
    code = (
        "int main(int argc, char **argv){ for (int i = 1; i < argc; i++) { int v = atoi(argv[i]);"
        ' printf("%d\\n", v * 1000); } return 0; }'
    )
    assert [h.line for h in query_hits("integer-overflow", code)], (
        "argv[i] chose the value; i < argc bounds i only"
    )
    checked = (
        "int main(int argc, char **argv){ for (int i = 1; i < argc; i++) { int v = atoi(argv[i]);"
        ' if (v > 1000 || v < -1000) continue; printf("%d\\n", v * 1000); } return 0; }'
    )
    assert query_hits("integer-overflow", checked) == []


@pytest.mark.parametrize(
    ("query", "body", "check"),
    [
        # an index read from argv[i]: the loop's i < argc bounds i, not the index
        ("out-of-bounds", "int k = atoi(argv[i]); if (k < 0) continue; counts[k]++;", "k >= 10"),
        # an allocation sized by argv[i]: the lower check alone leaves its size open
        ("uncontrolled-allocation-size", "int n = atoi(argv[i]); if (n <= 0) continue; char *p = malloc(n);"
         " if (!p) return 1; p[0] = 0; free(p);", "n > 4096"),
    ],
)  # fmt: skip
def test_the_subscript_that_picked_an_input_is_no_bound_on_it(
    query_hits, query: str, body: str, check: str
) -> None:
    head = "int main(int argc, char **argv){ int counts[10] = {0}; for (int i = 1; i < argc; i++) { "
    tail = " } return counts[0]; }"
    assert [h.line for h in query_hits(query, head + body + tail)], "i < argc bounds i only"
    bounded = body.replace("continue;", f"continue; if ({check}) continue;", 1)
    assert query_hits(query, head + bounded + tail) == []


@pytest.mark.parametrize(
    ("code", "reported"),
    [
        # UINT_MAX + 1 wraps to 0: a sum needs one bit more than its wider term
        ("unsigned n; if (fread(&n, sizeof n, 1, stdin) != 1) return 1; char *p = malloc(n + 1); free(p);", True),
        # (h - 1) * w + (w - 1) of two 32-bit values stays below 2^64
        ("unsigned w = strtoul(argv[1], 0, 10), h = strtoul(argv[2], 0, 10); size_t last = (size_t)(h - 1) * w + (w - 1); printf(\"%zu\", last);", False),
        # d * d of two shorts fits the int it is computed in, not the short it is stored in
        ("short d = 0; if (scanf(\"%hd\", &d) != 1) return 1; short r = d * d; printf(\"%d\", r);", True),
        ("short d = 0; if (scanf(\"%hd\", &d) != 1) return 1; int r = d * d; printf(\"%d\", r);", False),
        # a remainder by a constant is below it
        ("int base = atoi(argv[1]); int j = rand() % 250; if (base < 0 || base > 1000) return 1; printf(\"%d\", base + j);", False),
        ("int j = rand(); printf(\"%d\", 1000 + j);", True),
        # the bytes fread returned, added up
        ("static char b[64]; size_t got = 0; for (int i = 0; i < argc; i++) got += fread(b, 1, sizeof b, stdin); printf(\"%zu\", got);", False),
    ],
)
def test_sums_that_can_and_cannot_wrap(query_hits, code: str, reported: bool) -> None:
    program = "int main(int argc, char **argv) { " + code + " return 0; }"
    assert bool(query_hits("integer-overflow", program)) is reported


def test_a_sum_of_bounded_terms_over_a_bounded_loop(query_hits) -> None:
    code = (
        "int main(void) { int n, s, sum = 0; if (scanf(\"%d\", &n) != 1 || n <= 0 || n > 10000) return 1;"
        " for (int i = 0; i < n; i++) { if (scanf(\"%d\", &s) != 1) return 1; CHECK sum += s; }"
        " printf(\"%d\", sum / n); return 0; }"
    )
    assert query_hits("integer-overflow", code.replace("CHECK", "if (s < 0 || s > 100) return 1;")) == []
    assert query_hits("integer-overflow", code.replace("CHECK", "if (s < 0 || s > 1000000) return 1;"))  # 10^10
    assert query_hits("integer-overflow", code.replace("CHECK", "if (s > 100) return 1;"))  # negative terms


def test_an_unsigned_size_that_cannot_wrap_is_no_uncontrolled_allocation(query_hits) -> None:
    code = "int main(void) { uint16_t len; if (fread(&len, sizeof len, 1, stdin) != 1) return 1; char *m = malloc(SIZE); free(m); return 0; }"
    code = "#include <stdint.h>\n" + code
    assert query_hits("uncontrolled-allocation-size", code.replace("SIZE", "(size_t)len + 1")) == []
    assert query_hits("uncontrolled-allocation-size", code.replace("SIZE", "len"))  # as CodeQL: no arithmetic to stop at
    assert query_hits("uncontrolled-allocation-size", code.replace("uint16_t len", "int len").replace("SIZE", "len * 4"))


@pytest.mark.parametrize(
    ("check", "found"),
    [
        ("if (total > 1500) return 1;", True),  # bounded above only: total = 2 wraps total - 6
        ("if (total < 6 || total > 1500) return 1;", False),
        ("if (total > 1500) return 1; if (body_len > sizeof payload) return 1;", False),  # the result checked
    ],
)
def test_an_unsigned_difference_of_input_used_as_a_size(query_hits, check: str, found: bool) -> None:
    code = """int f(FILE *in) { unsigned char hdr[2]; unsigned char payload[1500]; unsigned total, body_len;
    if (fread(hdr, 1, 2, in) != 2) return 1;
    total = (unsigned)hdr[0] << 8 | hdr[1];
    CHECK_TOTAL
    body_len = total - 6;
    CHECK_RESULT
    return fread(payload, 1, body_len, in) == body_len; }"""
    first, _, second = check.partition("; if (body_len")
    code = code.replace("CHECK_TOTAL", first + (";" if second else "")).replace(
        "CHECK_RESULT", "if (body_len" + second if second else ""
    )
    hits = query_hits("subtraction-wrap", code)
    assert bool(hits) == found, hits
    # a byte shifted into place cannot overflow a 32-bit unsigned
    assert query_hits("integer-overflow", code) == []


def test_a_chain_of_checks_bounds_only_the_values_it_compares(query_hits) -> None:
    code = """int main(void) { unsigned w, h; if (scanf("%u %u", &w, &h) != 2 || w == 0 || h == 0 || CHECK) return 1;
    unsigned char *px = malloc(w * h * 3); if (!px) return 1; px[0] = 1; free(px); return 0; }"""
    assert query_hits("integer-overflow", code.replace("CHECK", "w > 4096"))  # h is only tested for 0
    assert query_hits("integer-overflow", code.replace("CHECK", "w > 4096 || h > 4096")) == []
