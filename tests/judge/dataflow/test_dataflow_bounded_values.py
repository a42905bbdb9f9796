"""Values bounded where they are made: a count returned by read()/recv()/fread() (by the read's
size argument), a remainder by a constant (``rand() % N``); and a generator's value used in
arithmetic directly (``rand() * 100``), bounded by nothing."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

UNISTD = "#include <unistd.h>\n#include <sys/socket.h>\n"


@pytest.mark.parametrize(
    "read_call, check",
    [
        ("read(0, buf, sizeof(buf) - 1)", "if (n < 0) return 1;"),
        ("read(0, buf, 63)", "if (n <= 0) return 1;"),
        ("recv(fd, buf, sizeof buf - 1, 0)", "if (n < 0) return 1;"),
        ("fread(buf, 1, sizeof(buf) - 1, stdin)", ""),  # size_t: never negative
    ],
)
def test_a_count_of_at_most_size_minus_one_terminates_in_bounds(
    query_hits, read_call: str, check: str
) -> None:
    n_type = "size_t" if read_call.startswith("fread") else "ssize_t"
    code = UNISTD + (
        f"int main(void) {{ int fd = 0; char buf[64]; {n_type} n = {read_call}; {check}\n"
        "    buf[n] = '\\0'; puts(buf); return fd; }"
    )
    assert query_hits("out-of-bounds", code) == []


def test_a_count_that_can_fill_the_buffer_writes_one_past_it(query_hits) -> None:
    code = UNISTD + (
        "int main(void) { char buf[64]; ssize_t n = read(0, buf, sizeof(buf)); if (n < 0) return 1;\n"
        "    buf[n] = '\\0'; puts(buf); return 0; }"
    )
    (hit,) = query_hits("out-of-bounds", code)
    assert "CWE-193" in hit.cwe_ids and "64 bytes read, past a 64-element array" in hit.message


@pytest.mark.parametrize(
    "other",
    [
        "n = n * 2;",  # a value computed from the count
        "n++;",  # changed after the read
        "n = read(0, buf, len);",  # a size the walk cannot evaluate
    ],
)
def test_counts_the_walk_cannot_bound_stay_unchecked_input(query_hits, other: str) -> None:
    code = UNISTD + (
        "int main(int argc, char **argv) { char buf[64]; int len = atoi(argv[1]);\n"
        f"    ssize_t n = read(0, buf, sizeof(buf) - 1); {other} if (n < 0) return 1;\n"
        "    buf[n] = '\\0'; puts(buf); return len; }"
    )
    messages = [h.message for h in query_hits("out-of-bounds", code)]
    assert any(
        m.startswith("index 'n' is input (") and m.endswith("with no upper bound check") for m in messages
    )


@pytest.mark.parametrize(
    "body, message",
    [
        # read() returns -1 on error: buf[-1] without the check of the error return
        (
            "ssize_t n = read(0, buf, sizeof(buf) - 1); buf[n] = '\\0';",
            "index 'n' is input (read), with no lower bound check",
        ),
        # the count is no function of the buffer's contents: ``n < 0`` bounds nothing parsed from it
        (
            "ssize_t n = read(0, buf, sizeof(buf) - 1); if (n < 0) return 1; buf[n] = '\\0'; int k = atoi(buf); table[k] = 1;",
            "index 'k' is input (read), with no lower and upper bound check",
        ),
    ],
)
def test_what_a_read_count_does_not_bound(query_hits, body: str, message: str) -> None:
    code = (
        UNISTD
        + f"int main(void) {{ char buf[64]; int table[10] = {{0}};\n    {body}\n    return table[0]; }}"
    )
    (hit,) = query_hits("out-of-bounds", code)
    assert hit.message == message


@pytest.mark.parametrize(
    "value, found",
    [
        ("rand() % 16", None),  # 0..15: in bounds
        ("(unsigned)atoi(argv[1]) % 16", None),  # unsigned: never negative
        ("rand() % 17", "upper"),  # 16 can be reached
        ("atoi(argv[1]) % 16", "lower"),  # a negative dividend leaves a negative remainder
    ],
)
def test_a_remainder_by_the_size_is_an_index_in_bounds(query_hits, value: str, found: str | None) -> None:
    code = f"int main(int argc, char **argv) {{ int table[16] = {{0}}; int r = {value}; table[r] = 1; return table[0]; }}"
    messages = [h.message for h in query_hits("out-of-bounds", code)]
    if found is None:
        assert messages == []
    else:
        assert len(messages) == 1 and f"no {found} bound check" in messages[0]


@pytest.mark.parametrize(
    "expr, found",
    [
        ("rand() * 100", True),  # CodeQL's cpp/uncontrolled-arithmetic
        ("(int)random() + 1000", True),
        ("rand() % 100 + 1", False),  # bounded by the remainder first
        ("(long long)rand() * 100", False),  # computed in a type wide enough
        ("rand() / 2 + 7", False),
        ("(long long)rand() << 8", False),  # shifts: RAND32()-style macros build values this way
    ],
)
def test_a_generator_called_as_an_operand_is_a_random_value(query_hits, expr: str, found: bool) -> None:
    code = f'int main(void) {{ long long v = {expr}; printf("%lld", v); return 0; }}'
    hits = query_hits("integer-overflow", code)
    assert bool(hits) == found, hits


@pytest.mark.parametrize(
    "expr, found",
    [
        ("(size_t)times * len", False),  # a length of memory that exists times an int: below 2^63
        ("strlen(s) * times", False),
        ("times * (int)len", True),  # in 32 bits
        ("(size_t)times * (size_t)times", False),  # two 32-bit values in an unsigned 64-bit type
    ],
)
def test_a_length_times_an_int_in_64_bits_cannot_overflow(query_hits, expr: str, found: bool) -> None:
    code = (
        "char *repeat(const char *s, int times) { if (times < 0) return NULL; size_t len = strlen(s);\n"
        f'    long long r = {expr}; printf("%lld", r); return NULL; }}\n'
        "int main(int argc, char **argv) { repeat(argv[1], atoi(argv[2])); return 0; }"
    )
    assert bool(query_hits("integer-overflow", code)) == found


def test_a_length_times_an_int_truncated_to_32_bits_is_reported(query_hits) -> None:
    code = (
        "char *repeat(const char *s, int times) { unsigned int len = strlen(s) * times;\n"
        '    printf("%u", len); return NULL; }\n'
        "int main(int argc, char **argv) { repeat(argv[1], atoi(argv[2])); return 0; }"
    )
    (hit,) = query_hits("integer-overflow", code)
    assert "'times' is input (argv)" in hit.message


@pytest.mark.parametrize(
    "check",
    [
        "if (c >= '0' && c <= '9') counts[c - '0']++;",
        "if (c < '0' || c > '9') continue; counts[c - '0']++;",
        "if (c >= 48 && c <= 57) counts[c - 48]++;",
    ],
)
def test_a_range_test_between_two_constants_bounds_both_ends(query_hits, check: str) -> None:
    code = "int f(void){ int counts[10] = {0}; int c; while ((c = getchar()) != EOF) { %s } return counts[0]; }"
    assert query_hits("out-of-bounds", code % check) == []
    assert query_hits("out-of-bounds", code % "counts[c - '0']++;")  # no test at all
    # the out-of-range branch of the same test bounds nothing
    assert query_hits("out-of-bounds", code % "if (c < '0' || c > '9') counts[c - '0']++;")


@pytest.mark.parametrize(
    ("clamp", "found"),
    [
        ("size_t n = p.len < sizeof(out) ? p.len : sizeof(out);", False),
        ("size_t n = p.len > sizeof(out) ? sizeof(out) : p.len;", False),
        ("size_t n = MIN(p.len, sizeof(out));", False),
        ("size_t n = p.len > sizeof(out) ? p.len : sizeof(out);", True),  # the larger of the two
        ("size_t n = p.len;", True),
    ],
)
def test_a_count_that_is_the_smaller_of_two_is_clamped(query_hits, clamp: str, found: bool) -> None:
    code = (
        "#define MIN(a, b) ((a) < (b) ? (a) : (b))\n"
        "struct packet { unsigned char len; char data[255]; };\n"
        "int f(void){ struct packet p; char out[64]; if (fread(&p, 1, sizeof(p), stdin) < 1) return 1;"
        " %s memcpy(out, p.data, n); return out[0]; }"
    )
    assert bool(query_hits("out-of-bounds", code % clamp)) == found


def test_a_byte_array_filled_whole_is_not_an_unterminated_string(query_hits) -> None:
    """unsigned char arrays hold bytes that nothing reads as a string; char arrays do."""
    code = "int f(const char *s){ %s out[16]; memcpy(out, s, sizeof out); return out[0]; }"
    assert query_hits("unterminated-copy", code % "char")
    assert query_hits("unterminated-copy", code % "unsigned char") == []


@pytest.mark.parametrize(
    ("check", "found"),
    [
        ("if (off < 0) return 1;", True),  # no upper bound: in + off runs past in[64]
        ("if (off < 0 || off > (int)(sizeof in - sizeof out)) return 1;", False),
    ],
)
def test_an_input_offset_into_a_copy_source_array_needs_both_bounds(query_hits, check: str, found: bool) -> None:
    code = (
        "int main(int argc, char **argv){ unsigned char in[64], out[16]; if (argc < 2) return 1;"
        " for (int i = 0; i < 64; i++) in[i] = (unsigned char)i; int off = atoi(argv[1]); %s"
        " memcpy(out, in + off, sizeof out); return out[0]; }"
    )
    hits = query_hits("out-of-bounds", code % check)
    assert bool(hits) == found, hits
    assert not found or "CWE-125" in hits[0].cwe_ids


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("strncpy(out, src, out_size);", True),
        ("strncpy(out, src, out_size); out[out_size - 1] = '\\0';", False),  # terminated after
        ("if (strlen(src) >= out_size) return -1; strncpy(out, src, out_size);", False),  # it fits
        ("strncpy(out, src, out_size - 1);", False),  # leaves the last byte for the NUL
    ],
)
def test_a_copy_that_fills_a_buffer_parameter_to_its_size_leaves_it_unterminated(query_hits, body: str, found: bool) -> None:
    """(out, out_size) is a pair because the caller passes a char array and its size."""
    code = ("int copy(const char *src, char *out, size_t out_size){ %s return 0; }"
            " int main(int argc, char **argv){ char name[32]; if (argc < 2) return 1;"
            " copy(argv[1], name, sizeof name); return puts(name); }")  # fmt: skip
    assert bool(query_hits("unterminated-copy", code % body)) is found


def test_conditions_that_start_with_a_macro_are_read(query_hits) -> None:
    """libclang gives no tokens for an expression that starts with a macro (``errno``,
    ``isdigit(c)``); the condition's text is read between the places its ends expand to."""
    code = """#include <errno.h>
int main(int argc, char **argv) { char *end; if (argc < 2) return 1; errno = 0; long k = strtol(argv[1], &end, 10);
    CHECK
    return (int)(k * 1000); }"""
    assert query_hits("integer-overflow", code.replace("CHECK", "if (errno != 0 || k < 0 || k > 100) return -1;")) == []
    assert query_hits("integer-overflow", code.replace("CHECK", "if (errno != 0) return -1;"))
    digits = """int main(void) { char acct[21]; size_t n = 0; int c;
    while ((c = getchar()) != EOF && c != '\\n') if (isdigit(c) && n < 20) acct[n++] = (char)c;
    acct[n] = 0; return puts(acct); }"""
    assert query_hits("counted-write", digits) == []
    assert query_hits("out-of-bounds", digits) == []  # isdigit's table lookup is no index of the program's
