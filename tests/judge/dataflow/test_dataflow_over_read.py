"""over-read: a read out of a fixed-size array sized by an unchecked count, and its fixes."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

UNISTD = "#include <unistd.h>\n#include <sys/socket.h>\n"
READ_LEN = 'char msg[64]; int len; if (scanf("%d", &len) != 1) return 1; if (!fgets(msg, sizeof msg, stdin)) return 1;'


@pytest.mark.parametrize(
    "read",
    [
        "fwrite(msg, 1, len, stdout);",
        "write(1, msg, len);",
        "send(3, msg, len, 0);",
        "char out[256]; memcpy(out, msg, len); puts(out);",
    ],
)
def test_an_input_count_reads_past_the_array(query_hits, read: str) -> None:
    code = UNISTD + f"int main(void) {{ {READ_LEN} {read} return 0; }}"
    (hit,) = query_hits("over-read", code)
    assert hit.cwe_ids == ("CWE-125", "CWE-126") and "'len' bytes (input (scanf))" in hit.message


@pytest.mark.parametrize(
    "code",
    [
        f"int main(void) {{ {READ_LEN} if (len < 0 || len > (int)strlen(msg)) return 1; fwrite(msg, 1, len, stdout); return 0; }}",
        # the count a read returned: what is in the buffer, no more
        "int main(void) { char buf[64]; ssize_t n = read(0, buf, sizeof buf); if (n > 0) write(1, buf, n); return 0; }",
        "int main(void) { char buf[64]; fwrite(buf, 1, sizeof buf, stdout); return 0; }",  # constant
        "void show(const char *p, int n) { fwrite(p, 1, n, stdout); }",  # a pointer of unknown size
    ],
)
def test_checked_counts_and_buffers_of_unknown_size_are_not(query_hits, code: str) -> None:
    assert query_hits("over-read", UNISTD + code) == []


def test_a_parameter_count_from_a_local_array(query_hits) -> None:
    code = 'void dump(int n) { char secret[16] = "s"; fwrite(secret, 1, n, stdout); }'
    (hit,) = query_hits("over-read", code)
    assert "parameter 'n'" in hit.message


def test_memcmp_of_a_string_against_a_longer_literal_prefix(query_hits) -> None:
    code = """#define PREFIX "Authorization: Bearer "
const char *token(const char *header) { size_t plen = strlen(PREFIX);
    CHECK
    if (memcmp(header, PREFIX, plen) != 0) return NULL;
    return header + plen; }"""
    found = query_hits("memcmp-past-string", code.replace("CHECK", ""))
    assert [h.cwe_ids for h in found] == [("CWE-125", "CWE-126")]
    assert query_hits("memcmp-past-string", code.replace("CHECK", "if (strlen(header) < plen) return NULL;")) == []
    array = 'int f(void) { char line[64] = {0}; if (!fgets(line, sizeof line, stdin)) return 1; return memcmp(line, "GET ", 4); }'
    assert query_hits("memcmp-past-string", array) == []  # an array of 64 bytes holds the 4 read
