"""length-from-data: a length the data claims for itself, used to read that much of the data
without a check against how much there is."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")


NETSTRING = (
    "int field(const char *buf, size_t n, char *out, size_t out_size){ size_t pos = 0;"
    " while (pos < n) { char *end; unsigned long len = strtoul(buf + pos, &end, 10);"
    " if (end == buf + pos || *end != ':') return -1; pos = (size_t)(end - buf) + 1; CHECK"
    " memcpy(out, buf + pos, len); out[len] = 0; return 0; } return -1; }"
)
FIELDS = (
    "std::vector<std::string> f(const std::vector<std::uint8_t>& msg){ std::vector<std::string> out;"
    " std::size_t pos = 0; while (pos < msg.size()) { std::size_t len = msg[pos]; ++pos; CHECK READ pos += len; }"
    " return out; }"
)
LENGTH_FIELDS = (
    "std::vector<std::string> f(const std::string& msg){ std::vector<std::string> out; std::size_t pos = 0;"
    " while (pos < msg.length()) { std::size_t len = (unsigned char)msg[pos]; ++pos; CHECK"
    " out.emplace_back(msg.begin() + pos, msg.begin() + pos + len); pos += len; } return out; }"
)

@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("c", NETSTRING.replace("CHECK", "")),
        # a check against the destination's size is no check against the data's
        ("c", NETSTRING.replace("CHECK", "if (len >= out_size) return -1;")),
        ("cpp", FIELDS.replace("CHECK", "").replace("READ", "out.emplace_back(msg.begin() + pos, msg.begin() + pos + len);")),
        ("cpp", FIELDS.replace("CHECK", "").replace(
            "READ", "std::string s; for (std::size_t i = 0; i < len; ++i) s.push_back((char)msg[pos + i]); out.push_back(s);")),
        # a std::string whose size the function reads through length()
        ("cpp", LENGTH_FIELDS.replace("CHECK", "")),
    ],
)
def test_a_length_the_data_claims_is_found(query_hits, language, code) -> None:
    found = query_hits("length-from-data", code, language)
    assert found and "CWE-125" in found[0].cwe_ids, found

@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("c", NETSTRING.replace("CHECK", "if (n - pos <= len) return -1;")),
        ("c", NETSTRING.replace("CHECK", "size_t remaining = n - pos; if (len >= remaining) return -1;")),
        ("cpp", FIELDS.replace("CHECK", "if (len > msg.size() - pos) break;").replace(
            "READ", "out.emplace_back(msg.begin() + pos, msg.begin() + pos + len);")),
        ("cpp", LENGTH_FIELDS.replace("CHECK", "if (len > msg.length() - pos) break;")),
        # strncpy stops at the data's NUL: it reads no further than the string there is
        ("c", NETSTRING.replace("CHECK", "").replace("memcpy(out, buf + pos, len)", "strncpy(out, buf + pos, len)")),
        # the real length of an element is no claimed length
        ("c", "void f(char *out, char **tags, int count){ size_t used = 0; for (int i = 0; i < count; i++) {"
         " size_t len = strlen(tags[i]); if (used + len >= 64) break; memcpy(out + used, tags[i], len); used += len; } }"),
    ],
)
def test_a_length_checked_against_the_data_is_not_reported(query_hits, language, code) -> None:
    assert query_hits("length-from-data", code, language) == []


# a position the loop advances, and a (pointer, count) constructor
ADVANCED = FIELDS.replace("READ", "std::string s; for (std::size_t i = 0; i < len; ++i) { s += (char)msg[pos]; ++pos; }"
                          " out.push_back(s);").replace("pos += len;", "")
POINTER_COUNT = FIELDS.replace(
    "READ", "out.push_back(std::string(reinterpret_cast<const char*>(&msg[pos]), len));")


@pytest.mark.parametrize(
    ("code", "found"),
    [
        (ADVANCED.replace("CHECK", ""), True),
        (POINTER_COUNT.replace("CHECK", ""), True),
        (ADVANCED.replace("CHECK", "if (len > msg.size() - pos) break;"), False),
        (POINTER_COUNT.replace("CHECK", "if (pos + len > msg.size()) break;"), False),
        # the loop reads the same checked element len times: the position does not move
        (FIELDS.replace("CHECK", "").replace(
            "READ", "std::string s; for (std::size_t i = 0; i < len; ++i) s += (char)msg[pos - 1]; out.push_back(s);"),
         False),
    ],
)
def test_reads_that_step_through_the_claimed_length(query_hits, code: str, found: bool) -> None:
    assert bool(query_hits("length-from-data", code, "cpp")) is found


@pytest.mark.parametrize(
    ("check", "found"),
    [
        ("", True),
        ("if (len >= out_size) return -1;", True),  # the destination's size, not the data's
        ("if (len > n - pos) return -1;", False),
    ],
)
def test_a_read_from_the_parsers_end_pointer_reads_the_data(query_hits, check: str, found: bool) -> None:
    """strtoul(buf + pos, &end, 10) leaves end inside buf: memcpy(out, end + 1, len) reads buf."""
    code = NETSTRING.replace("CHECK", check).replace("memcpy(out, buf + pos, len)", "memcpy(out, end + 1, len)")
    assert bool(query_hits("length-from-data", code, "c")) is found
