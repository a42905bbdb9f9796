"""The queries for sizes and positions the input decides: empty-container-access,
unsigned-index-wrap, uncontrolled-allocation-size, accumulated-offset, and integer-overflow's
loop accumulators checked only term by term."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccodegen.judge.dataflow import frontend
from seccodegen.judge.dataflow.queries import run_queries

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

HDR = (
    "#include <algorithm>\n#include <cctype>\n#include <cstdlib>\n#include <cstring>\n#include <iostream>\n#include <limits>\n"
    "#include <memory>\n#include <string>\n#include <vector>\nstruct Point { double x, y; };\n"
    "constexpr std::size_t kMax = 64;\n"
)


def hits(tmp_path: Path, rule: str, code: str, language: str = "cpp") -> list:
    path = tmp_path / ("t.cpp" if language == "cpp" else "t.c")
    path.write_text((HDR if language == "cpp" else "#include <stdlib.h>\n#include <string.h>\n") + code)
    return run_queries(path, language, ["-std=c++17" if language == "cpp" else "-std=gnu17"], [rule])


@pytest.mark.parametrize(
    ("code", "cwe"),
    [
        ("void f(std::string& s){ while (s.back() == ' ') s.pop_back(); }", "CWE-125"),
        ("void f(std::string& s){ s.pop_back(); if (!s.empty()) s.pop_back(); }", "CWE-787"),
        ("char f(const std::string& s){ return s[s.size() - 1]; }", "CWE-125"),
        ("int f(const std::vector<int>& v){ return v.front(); }", "CWE-125"),
        # a local constructed empty and indexed before anything was added
        ("void f(std::istream& in, long n){ std::vector<Point> p; for (long i = 0; i < n; ++i) in >> p[i].x; }",
         "CWE-787"),
        # an iterator before the first element, used at once: the last element of an empty string
        ("void f(std::string& line){ line.erase(line.end() - 1, line.end()); }", "CWE-787"),
        ("int f(const std::vector<int>& v){ return *(v.end() - 1); }", "CWE-125"),
        ("int f(const std::vector<int>& v){ return *std::prev(v.end()); }", "CWE-125"),
    ],
)
def test_empty_container_access_is_found(tmp_path: Path, code: str, cwe: str) -> None:
    found = hits(tmp_path, "empty-container-access", code)
    assert found and cwe in found[0].cwe_ids, found


@pytest.mark.parametrize(
    "code",
    [
        "void f(std::string& s){ while (!s.empty() && s.back() == ' ') s.pop_back(); }",
        "void f(std::string& s){ if (s.empty()) return; if (s.back() == '\\r') s.pop_back(); }",
        "char f(const std::string& s){ size_t n = s.size(); if (n == 0) return 0; return s[s.size() - 1]; }",
        "void f(std::string& s){ s += \"x\"; s.pop_back(); }",  # grown first
        "int f(const std::vector<int>& v){ for (size_t i = 0; i < v.size(); ++i) if (v.back() == 3) return 1; return 0; }",
        "void f(std::istream& in, long n){ std::vector<Point> p; p.resize(n); for (long i = 0; i < n; ++i) in >> p[i].x; }",
        "void f(std::istream& in){ std::string s; std::getline(in, s); }",
        "char f(){ std::string s = \"abc\"; return s.back(); }",  # a local the function filled
        "void f(std::string& s){ if (!s.empty()) s.erase(s.end() - 1); }",
        # stored first: its uses decide (here the loop's test stops before dereferencing)
        "void f(std::string& s){ auto it = s.end() - 1; while (it >= s.begin() && *it == ' ') --it; s.erase(it + 1, s.end()); }",
        "void f(std::string& s){ s.erase(s.end() - 0, s.end()); }",
    ],
)
def test_empty_container_safe_patterns_are_not(tmp_path: Path, code: str) -> None:
    assert hits(tmp_path, "empty-container-access", code) == []


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("void f(std::string& s){ size_t i = s.size() - 1; while (i >= 0 && std::isspace(s[i])) i--; }", "cpp"),
        ("void f(std::string& s){ auto e = s.size() - 1; while (e >= 0 && s[e] == ' ') e--; s.resize(e + 1); }", "cpp"),
        ("void f(char *s){ for (size_t i = strlen(s) - 1; i >= 0; --i) { if (s[i] != ' ') break; s[i] = 0; } }", "c"),
    ],
)
def test_unsigned_index_tested_against_zero_is_found(tmp_path: Path, code: str, language: str) -> None:
    found = hits(tmp_path, "unsigned-index-wrap", code, language)
    assert found and "CWE-191" in found[0].cwe_ids, found


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("void f(std::string& s){ int i = s.size() - 1; while (i >= 0 && std::isspace(s[i])) i--; }", "cpp"),
        ("void f(char *s){ for (size_t i = strlen(s); i > 0; --i) { if (s[i - 1] != ' ') break; s[i - 1] = 0; } }", "c"),
        ("int f(const char *s, size_t n){ int c = 0; for (size_t i = 0; i >= 0 && i < n; ++i) c += s[i]; return c; }", "c"),
    ],
)
def test_signed_or_never_decremented_indexes_are_not(tmp_path: Path, code: str, language: str) -> None:
    assert hits(tmp_path, "unsigned-index-wrap", code, language) == []


@pytest.mark.parametrize(
    "code",
    [
        "void f(std::istream& in){ long n = 0; in >> n; std::vector<Point> p(n); }",
        "void f(std::istream& in){ long n = 0; in >> n; Point *p = new Point[n]; delete[] p; }",
        "void f(std::istream& in){ std::string s; std::getline(in, s); int n = std::stoi(s); free(malloc(n * 2)); }",
    ],
)
def test_allocation_sized_by_input_is_found(tmp_path: Path, code: str) -> None:
    found = hits(tmp_path, "uncontrolled-allocation-size", code)
    # CWE-190 as well, as CodeQL's cpp/uncontrolled-allocation-size is tagged
    assert found and found[0].cwe_ids == ("CWE-789", "CWE-1284", "CWE-190"), found


def test_reserve_sized_by_input_is_exhaustion_not_overflow(tmp_path: Path) -> None:
    # a capacity request: a wrapped size costs reallocations, a huge one throws before any write
    code = (
        "void f(std::istream& in, const std::string& p){ long n = 0; in >> n; if (n <= 0) return;"
        " std::string r; r.reserve(p.size() * n); for (long i = 0; i < n; ++i) r += p; }"
    )
    found = hits(tmp_path, "uncontrolled-allocation-size", code)
    assert [h.cwe_ids for h in found] == [("CWE-789", "CWE-1284")], found


@pytest.mark.parametrize(
    "code",
    [
        "void f(std::istream& in){ long n = 0; in >> n; if (n < 0 || n > 1000000) return; std::vector<Point> p(n); }",
        "void f(std::istream& in){ std::string s; std::getline(in, s); std::vector<char> v(s.size() + 1); }",
        "void f(size_t n){ std::vector<Point> p(n); }",  # a parameter: the caller's business
        "void f(std::istream& in){ long n = 0; in >> n; std::vector<Point> p(std::min(n, 1000L)); }",
    ],
)
def test_bounded_or_non_input_sizes_are_not(tmp_path: Path, code: str) -> None:
    assert hits(tmp_path, "uncontrolled-allocation-size", code) == []


JOIN = "bool f(const std::vector<std::string>& parts, char* out){ out[0] = 0; %s return true; }"


@pytest.mark.parametrize(
    "body",
    [
        "for (const auto& p : parts) { size_t n = p.size(); if (n > kMax - 1) return false;"
        " strncpy(out, p.c_str(), n); out += n; }",
        "for (const auto& p : parts) { if (out == nullptr || p.size() > kMax - 1) return false;"
        " memcpy(out, p.c_str(), p.size()); out += p.size(); }",
        "for (const auto& p : parts) { strcat(out, p.c_str()); }",
    ],
)
def test_offsets_accumulated_over_a_loop_are_found(tmp_path: Path, body: str) -> None:
    found = hits(tmp_path, "accumulated-offset", JOIN % body)
    assert found and found[0].cwe_ids == ("CWE-787", "CWE-119"), found


@pytest.mark.parametrize(
    "body",
    [
        "size_t used = 0; for (const auto& p : parts) { size_t n = p.size(); if (used + n + 2 > kMax) return false;"
        " memcpy(out + used, p.c_str(), n); used += n; out[used++] = '/'; } out[used] = 0;",
        "size_t left = kMax; for (const auto& p : parts) { size_t n = p.size(); if (n >= left) return false;"
        " memcpy(out, p.c_str(), n); out += n; left -= n; } *out = 0;",
        "for (const auto& p : parts) { if (strlen(out) + p.size() + 1 > kMax) return false; strcat(out, p.c_str()); }",
        # the write's own count is what is left; the check after it only detects the truncation
        "int pos = 0; for (size_t i = 0; i < parts.size(); i++) { int n = snprintf(out + pos, kMax - pos, \"%s,\","
        " parts[i].c_str()); if (n < 0 || n >= (int)(kMax - pos)) break; pos += n; }",
    ],
)
def test_offsets_checked_as_a_running_total_are_not(tmp_path: Path, body: str) -> None:
    assert hits(tmp_path, "accumulated-offset", JOIN % body) == []


SUM = "bool f(std::istream& in, int& total){ total = 0; std::string l; while (std::getline(in, l)) { int a = std::stoi(l); %s } return true; }"


def test_an_accumulator_checked_only_term_by_term_may_overflow(tmp_path: Path) -> None:
    found = hits(tmp_path, "integer-overflow", SUM % "if (a > std::numeric_limits<int>::max()) return false; total += a;")
    assert found and "not the total 'total'" in found[0].message, found


@pytest.mark.parametrize(
    "body",
    [
        "if ((a > 0 && total > std::numeric_limits<int>::max() - a) ||"
        " (a < 0 && total < std::numeric_limits<int>::min() - a)) return false; total += a;",
        "if (__builtin_add_overflow(total, a, &total)) return false;",
    ],
)
def test_an_accumulator_checked_as_a_total_is_not(tmp_path: Path, body: str) -> None:
    assert hits(tmp_path, "integer-overflow", SUM % body) == []


def test_a_parameters_running_sum_is_left_to_the_term_checks(tmp_path: Path) -> None:
    # terms bounded by the division: a parameter's values are not input, so no accumulator rule
    code = ("int mean(const int *v, int n){ int m = 0, r = 0; for (int i = 0; i < n; i++) {"
            " m += v[i] / n; r += v[i] % n; if (r >= n) { m++; r -= n; } } return m; }")  # fmt: skip
    assert hits(tmp_path, "integer-overflow", code) == []


CANVAS = ("std::size_t f(const std::string& wt, const std::string& ht){ int w = std::stoi(wt);"
          " int h = std::stoi(ht); if (w <= 0 || h <= 0) return 0; %s return 1; }")  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        "std::size_t bytes = w * h * 4; auto c = std::make_unique<char[]>(bytes);",
        "int bytes = w * h * 4; std::unique_ptr<char[]> c(new char[bytes]);",
        "std::size_t bytes; bytes = w * h * 4; char *c = new char[bytes]; delete[] c;",
    ],
)
def test_a_parameters_product_stored_then_used_as_a_size_is_found(tmp_path: Path, body: str) -> None:
    found = hits(tmp_path, "integer-overflow", CANVAS % body)
    assert found and found[0].cwe_ids == ("CWE-190", "CWE-680"), found


def test_a_product_of_bounded_values_in_a_wide_type_is_not(tmp_path: Path) -> None:
    body = ("if (w > 10000 || h > 10000) return 0; std::size_t bytes = (std::size_t)w * h * 4;"
            " std::unique_ptr<char[]> c(new char[bytes]);")  # fmt: skip
    assert hits(tmp_path, "integer-overflow", CANVAS % body) == []


REC = "struct R { int id; char owner[24]; long bal; };\nR f(const std::string& owner){ R rec{}; %s return rec; }"


@pytest.mark.parametrize(
    "body",
    [
        "strncpy(rec.owner, owner.c_str(), sizeof(rec.owner));",
        "std::memcpy(rec.owner, owner.c_str(), 24);",
        "std::copy_n(owner.c_str(), sizeof rec.owner, rec.owner);",
    ],
)
def test_a_copy_that_fills_the_whole_array_is_unterminated(tmp_path: Path, body: str) -> None:
    found = hits(tmp_path, "unterminated-copy", REC % body)
    assert found and found[0].cwe_ids == ("CWE-170", "CWE-119"), found


@pytest.mark.parametrize(
    "body",
    [
        "strncpy(rec.owner, owner.c_str(), sizeof(rec.owner)); rec.owner[sizeof(rec.owner) - 1] = '\\0';",
        "strncpy(rec.owner, owner.c_str(), sizeof(rec.owner) - 1);",  # rec{} zeroed the last byte
        "strncpy(rec.owner, \"anonymous\", sizeof(rec.owner));",  # a literal shorter than the array
    ],
)
def test_terminated_or_shorter_copies_are_not(tmp_path: Path, body: str) -> None:
    assert hits(tmp_path, "unterminated-copy", REC % body) == []


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("std::copy(owner.begin(), owner.end(), rec.owner);", True),
        ("std::copy(owner.c_str(), owner.c_str() + std::strlen(owner.c_str()), rec.owner);", True),
        ("if (owner.size() >= sizeof rec.owner) return rec; std::copy(owner.begin(), owner.end(), rec.owner);", False),
        ("std::copy(owner.begin(), owner.begin() + 3, rec.owner);", False),  # a range of known length
    ],
)
def test_std_copy_of_a_whole_input_string_into_a_fixed_array(tmp_path: Path, body: str, found: bool) -> None:
    out = hits(tmp_path, "out-of-bounds", REC % body)
    assert bool(out) == found, out


@pytest.mark.parametrize(
    ("code", "found"),
    [
        # a pointer offset stored first, returned later with no bound on the way
        ("const char *f(const char *s, size_t n){ if (n == 0) return s; const char *t = s + n - 1; return t; }", True),
        ("const char *f(const char *s, size_t n){ char *t = (char *)s + n - 1; if (n <= 0) return NULL; return t; }",
         True),
        # the check between the offset and its use counts
        ("const char *f(const char *s, size_t n){ size_t l = strlen(s); const char *t = s + l - n; if (n > l) return s;"
         " return t; }", False),
        # a copy at an offset that grows with a loop over an unchecked count, into a block of known size
        ("char *f(const char *s, int k){ char *r = (char *)malloc(64); if (!r) return NULL;"
         " for (int i = 0; i < k; i++) strncpy(r + i * 64, s, 64); return r; }", True),
        ("char *f(const char *s, int k){ if (k < 0 || k > 4) return NULL; char *r = (char *)malloc(64 * 4);"
         " if (!r) return NULL; for (int i = 0; i < k; i++) strncpy(r + i * 64, s, 64); return r; }", False),
        # a parameter offset as a copy destination of unknown size: the caller's business
        ("void f(char *out, const char *s, size_t pos){ strcpy(out + pos, s); }", False),
    ],
)
def test_pointer_offsets_stored_or_copied_into(tmp_path: Path, code: str, found: bool) -> None:
    out = hits(tmp_path, "out-of-bounds", code, "c")
    assert bool(out) == found, out


@pytest.mark.parametrize(
    ("code", "where"),
    [
        # the copy's size is the length of a parameter string, stored in a variable first
        ("void f(const char *a){ char buf[64]; size_t n = strlen(a); memcpy(buf, a, n); buf[63] = 0; puts(buf); }",
         "memcpy"),
        # a test against zero is no bound
        ("void f(const char *a){ char buf[64]; size_t n = strlen(a); if (n > 0) { memcpy(buf, a, n + 1); puts(buf); } }",
         "memcpy"),
        ("void f(const char *a){ char out[32]; size_t n = strlen(a); for (size_t i = 0; i < n; i++) out[i] = a[i];"
         " puts(out); }", "loop"),
        ("void f(const char *a){ char out[32]; size_t n = strlen(a); strncpy(out, a, 31); out[n] = 0; puts(out); }",
         "index"),
    ],
)
def test_a_parameter_string_length_not_checked_against_a_fixed_array_is_found(query_hits, code, where) -> None:
    found = query_hits("out-of-bounds", code)
    assert any("the length of" in h.message for h in found), (where, found)


@pytest.mark.parametrize(
    "code",
    [
        "void f(const char *a){ char buf[64]; size_t n = strlen(a); if (n >= sizeof buf) return; memcpy(buf, a, n + 1); }",
        "void f(const char *a){ char buf[64]; size_t n = strlen(a); n = n < sizeof buf ? n : sizeof buf - 1;"
        " memcpy(buf, a, n); buf[n] = 0; }",
        "void f(const char *a){ char out[32]; size_t n = strlen(a);"
        " for (size_t i = 0; i < n && i < sizeof out - 1; i++) out[i] = a[i]; }",
        # the length of the array's own contents always fits it
        "void f(void){ char buf[64]; if (!fgets(buf, sizeof buf, stdin)) return; size_t n = strlen(buf);"
        " if (n > 0 && buf[n - 1] == '\\n') buf[n - 1] = 0; buf[n] = 0; }",
        # a source array no larger than the destination
        "void f(void){ char a[16], b[32]; if (!fgets(a, sizeof a, stdin)) return; size_t n = strlen(a); memcpy(b, a, n + 1); }",
    ],
)
def test_a_checked_or_fitting_string_length_is_not_reported(query_hits, code) -> None:
    assert [h for h in query_hits("out-of-bounds", code) if "the length of" in h.message] == []


@pytest.mark.parametrize(
    ("code", "found"),
    [
        ("bool f(std::istream& in){ char word[128]; while (in >> word) std::cout << word << '\\n'; return true; }", True),
        # a field width bounds the extraction (C++17 writes the whole word without it)
        ("bool f(std::istream& in){ char word[128]; while (in >> std::setw(sizeof word) >> word) std::cout << word;"
         " return true; }", False),
        ("bool f(std::istream& in){ char word[128]; in.width(sizeof word); in >> word; std::cout << word; return true; }",
         False),
        # a std::string grows as needed
        ("bool f(std::istream& in){ std::string word; while (in >> word) std::cout << word; return true; }", False),
    ],
)
def test_stream_extraction_into_a_char_array(query_hits, code: str, found: bool) -> None:
    code = "#include <iomanip>\n#include <iostream>\n" + code
    hits = query_hits("out-of-bounds", code, "cpp")
    assert bool(hits) is found, hits
    assert not hits or "CWE-120" in hits[0].cwe_ids


def test_an_index_below_the_count_its_block_was_allocated_with(query_hits) -> None:
    code = (
        "#include <stdint.h>\n"
        "char *read_msg(FILE *fp) { uint16_t len; if (fread(&len, sizeof len, 1, fp) != 1) return NULL;"
        " char *m = malloc(SIZE); if (!m) return NULL; if (fread(m, 1, len, fp) != len) { free(m); return NULL; }"
        " m[len] = '\\0'; return m; }"
    )
    assert query_hits("out-of-bounds", code.replace("SIZE", "(size_t)len + 1")) == []
    assert query_hits("out-of-bounds", code.replace("SIZE", "len"))


def test_a_loop_bounded_by_the_count_a_read_returned(query_hits) -> None:
    code = (
        "typedef void (*op)(int *);\nstatic void nop(int *a) { (void)a; }\nstatic op table[4] = {nop, nop, nop, nop};\n"
        "int main(void) { unsigned char code[256]; int acc = 0; size_t n = fread(code, 1, sizeof code, stdin);"
        " for (size_t pc = 0; pc < n; pc++) { unsigned char o = code[pc]; CHECK table[o](&acc); } return acc; }"
    )
    assert query_hits("out-of-bounds", code.replace("CHECK", "if (o >= 4) return 1;")) == []
    # the table read that picks the function called is an access too
    found = query_hits("out-of-bounds", code.replace("CHECK", ""))
    assert found and "'o'" in found[0].message


@pytest.mark.parametrize(
    ("check", "reported"),
    [
        ("if ((size_t)len + 2 > n) return -1;", True),  # the packet's size: the read fits, the write does not
        ("if ((size_t)len + 2 > n || len > sizeof value) return -1;", False),
        ("if ((size_t)len + 2 > n || len > VALUE_MAX) return -1;", False),
        ("if (n > 34 || (size_t)len + 2 > n) return -1;", False),  # n is bounded above itself
        ("if (n < 3 || (size_t)len + 2 > n) return -1;", True),  # below only
    ],
)
def test_a_count_compared_only_with_the_source_does_not_bound_the_destination(query_hits, check: str, reported: bool) -> None:
    code = (
        "#define VALUE_MAX 32\n"
        "int tlv(const unsigned char *buf, size_t n) { char value[32]; unsigned char len;"
        " if (n < 2) return -1; len = buf[1]; CHECK memcpy(value, buf + 2, len); return value[0]; }\n"
        "int main(void) { unsigned char b[512]; size_t n = fread(b, 1, sizeof b, stdin); return tlv(b, n); }"
    )
    assert bool(query_hits("out-of-bounds", code.replace("CHECK", check))) is reported


def test_a_std_array_data_is_a_fixed_size_destination(query_hits) -> None:
    code = (
        "#include <array>\n"
        "struct Slot { std::array<std::uint8_t, 32> key{};"
        " bool load(const std::string &p) { CHECK std::memcpy(key.data(), p.data(), p.size()); return true; } };"
    )
    assert query_hits("out-of-bounds", code.replace("CHECK", ""), "cpp")
    assert query_hits("out-of-bounds", code.replace("CHECK", "if (p.size() > key.size()) return false;"), "cpp") == []


def test_the_last_character_of_a_c_string_that_may_be_empty(tmp_path) -> None:
    code = """#include <string.h>
#include <stdio.h>
static int ends_with_backslash(const char *line) { size_t n = strlen(line); return CHECK line[n - 1] == '\\\\'; }
int main(void) { char line[256];
    while (fgets(line, sizeof line, stdin)) { if (ends_with_backslash(line)) line[strlen(line) - 1] = 0; }
    return 0; }"""
    found = hits(tmp_path, "empty-string-last-index", code.replace("CHECK", ""), "c")
    # the helper's read (line 3 after two header lines); main's write is behind the helper's call
    assert [(h.line, h.cwe_ids) for h in found] == [(5, ("CWE-125", "CWE-191"))]
    assert hits(tmp_path, "empty-string-last-index", code.replace("CHECK", "n > 0 &&"), "c") == []
