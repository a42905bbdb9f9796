"""A chain of comparisons as an index's check: ``&&`` that held and ``||`` that failed prove each
part; ``||`` that held (and ``&&`` that failed) proves only what every part proves, since any one
part may be the one that decided."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

TAIL = """#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *tail(const char *s, size_t n) {
    size_t len = strlen(s);
    %s
}
int main(int argc, char **argv) {
    size_t n = strtoul(argv[1], NULL, 10);
    char line[256];
    while (fgets(line, sizeof line, stdin)) puts(tail(line, n));
    return 0;
}
"""


@pytest.mark.parametrize(
    "body",
    [
        "if (n == 0 || n > len) return s + len - n; return s + len - n;",  # held: n > len may be why
        "if (s[0] == '#' || n > len) return s + len - n; return s;",
    ],
)
def test_a_disjunction_that_held_does_not_bound_the_index(query_hits, body: str) -> None:
    messages = [h.message for h in query_hits("out-of-bounds", TAIL % body)]
    assert any("with no upper bound check" in m for m in messages), messages


@pytest.mark.parametrize(
    "body",
    [
        "if (s == NULL || n > len) return s; return s + len - n;",  # failed: every part failed
        "if ((n == 0) || (n > len)) return s; return s + len - n;",
        "if (n <= len && s != NULL) return s + len - n; return s;",  # held: every part held
    ],
)
def test_a_chain_whose_parts_all_hold_bounds_the_index(query_hits, body: str) -> None:
    assert query_hits("out-of-bounds", TAIL % body) == []
