"""An index compared in an unsigned type: a negative value converts to a huge one and fails the
upper check, so ``if (i < v.size()) v[i]`` needs no ``i >= 0`` (the usual arithmetic conversions
of C and C++); the same comparison made in a signed type still does."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

HISTOGRAM = """#include <array>
#include <vector>
std::array<int, 11> build(const std::vector<int>& scores) {
    std::array<int, 11> hist{};
    for (int score : scores) {
        int bucket = score / 10;
        %s
    }
    return hist;
}
"""


@pytest.mark.parametrize(
    "guarded",
    [
        "if (bucket < hist.size()) hist[bucket]++;",  # int converted to size_t
        "if (bucket >= hist.size()) continue; hist[bucket]++;",  # the failed check left the iteration
        "if ((unsigned)bucket < 11) hist[bucket]++;",
        "if (bucket < 11u) hist[bucket]++;",
    ],
)
def test_an_unsigned_comparison_bounds_a_signed_index_at_both_ends(query_hits, guarded: str) -> None:
    assert query_hits("out-of-bounds", HISTOGRAM % guarded, "cpp") == []


@pytest.mark.parametrize(
    "guarded",
    [
        "if (bucket < 11) hist[bucket]++;",  # a signed comparison: -1 < 11 holds
        "if ((long)bucket < 11u) hist[bucket]++;",  # 11u converts to long: signed again
        "if (bucket + 5 < hist.size()) hist[bucket]++;",  # bounds bucket + 5, not bucket: -5 passes
    ],
)
def test_a_signed_comparison_still_needs_the_lower_bound(query_hits, guarded: str) -> None:
    messages = [h.message for h in query_hits("out-of-bounds", HISTOGRAM % guarded, "cpp")]
    assert any(m.endswith("with no lower bound check") for m in messages), messages
