"""copy-past-size-parameter: a copy into a buffer parameter whose size is another parameter, with
a count nothing compares with that size."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

# the call in main makes (out, out_size) a buffer and its size
FIELD = (
    "int field(const char *buf, size_t n, char *out, size_t out_size){ size_t pos = 0;"
    " char *end; unsigned long len = strtoul(buf, &end, 10); pos = (size_t)(end - buf) + 1;"
    " CHECK COPY; out[0] = 0; return 0; }\n"
    "int main(void){ static char in[4096]; size_t n = fread(in, 1, sizeof in - 1, stdin);"
    " char f[64]; return field(in, n, f, sizeof f); }"
)


@pytest.mark.parametrize(
    "code",
    [
        FIELD.replace("CHECK", "").replace("COPY", "memcpy(out, buf + pos, len)"),
        # a check against the source's size keeps the read in bounds, not the write
        FIELD.replace("CHECK", "if (pos + len > n) return -1;").replace(
            "COPY", "strncpy(out, buf + pos, len)"
        ),
        # a parameter as the count
        FIELD.replace(
            "int field(const char *buf, size_t n,", "int field(const char *buf, size_t n, size_t want,"
        )
        .replace("field(in, n, f", "field(in, n, n, f")  # a count no check bounds (a constant one would be in range)
        .replace("CHECK", "")
        .replace("COPY", "memcpy(out, buf, want)"),
        # the function passes the pair to snprintf: that makes them a pair too (no caller needed)
        'void g(char *out, size_t out_size, const char *s, size_t len){ snprintf(out, out_size, "%s", "");'
        " memcpy(out, s, len); }",
    ],
)
def test_a_count_never_compared_with_the_size_is_found(query_hits, code) -> None:
    found = query_hits("copy-past-size-parameter", code)
    assert found and "CWE-787" in found[0].cwe_ids, found


@pytest.mark.parametrize(
    "code",
    [
        FIELD.replace("CHECK", "if (len >= out_size) return -1;").replace(
            "COPY", "memcpy(out, buf + pos, len)"
        ),
        FIELD.replace("CHECK", "size_t room = out_size - 1; if (len > room) len = room;").replace(
            "COPY", "memcpy(out, buf + pos, len)"
        ),
        FIELD.replace("CHECK", "").replace("COPY", "memcpy(out, buf + pos, out_size - 1)"),
        FIELD.replace("CHECK", "").replace(
            "COPY", "memcpy(out, buf + pos, len < out_size ? len : out_size - 1)"
        ),
        # no call passes a sized array: out's size is unknown here, so nothing is said
        "int h(const char *buf, char *out, size_t out_size){ size_t len = (size_t)buf[0]; memcpy(out, buf + 1, len);"
        " return 0; }",
    ],
)
def test_a_count_checked_against_the_size_is_not(query_hits, code) -> None:
    assert query_hits("copy-past-size-parameter", code) == []


def test_a_count_that_is_the_buffers_own_size_is_no_overflow(query_hits) -> None:
    """memcpy(out, buf, out_size) writes exactly the bytes the caller says out has: neither this
    query nor out-of-bounds (which knows out from the caller's 64-byte array) reports the write."""
    code = FIELD.replace("CHECK", "").replace("COPY", "memcpy(out, buf + pos, out_size)")
    assert query_hits("copy-past-size-parameter", code) == []
    assert query_hits("out-of-bounds", code) == []
    other = FIELD.replace("CHECK", "").replace("COPY", "memcpy(out, buf + pos, n)")  # the source's size
    assert query_hits("out-of-bounds", other)


def test_a_bounded_write_sized_by_the_source_string(query_hits) -> None:
    code = "void f(const char *title) { char label[40]; CHECK snprintf(label, SIZE, \"%s!\", title); puts(label); }"
    found = query_hits("out-of-bounds", code.replace("CHECK", "").replace("SIZE", "strlen(title) + 2"))
    assert found and found[0].cwe_ids == ("CWE-787", "CWE-805")
    assert query_hits("out-of-bounds", code.replace("CHECK", "").replace("SIZE", "sizeof label")) == []
    checked = code.replace("CHECK", "if (strlen(title) + 2 > sizeof label) return;").replace("SIZE", "strlen(title) + 2")
    assert query_hits("out-of-bounds", checked) == []
    copy = "void g(const char *src) { char dst[16]; strncpy(dst, src, strlen(src)); dst[15] = 0; puts(dst); }"
    assert query_hits("out-of-bounds", copy)
