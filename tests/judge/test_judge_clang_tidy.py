"""clang-tidy's tainted-index reports: an index that is the string's own length is dropped, and one
that is a difference of two values is recorded but left to the dataflow core to decide."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from seccodegen.judge.analyzers.clang_tidy import (
    ClangTidy,
    allocated_past_index,
    difference_index,
    own_length_index,
)
from seccodegen.judge.cwe_map import map_rule

REPORT = "Potential out of bound access to 'name' with tainted index"


def test_an_index_that_is_the_strings_own_length_is_in_bounds() -> None:
    assert own_length_index(REPORT, '    name[strcspn(name, "\\n")] = 0;')
    assert own_length_index(REPORT, "    name[strlen(name)] = '\\0';")
    assert not own_length_index(REPORT, "    name[strlen(name) - 1] = 0;")  # empty string: index -1
    assert not own_length_index(REPORT, '    other[strcspn(name, "\\n")] = 0;')
    assert not own_length_index(REPORT, "    name[n] = 0;")
    # a pointer's target ("the region"): the access at the reported column is read
    region = "Potential out of bound access to the region with tainted index"
    assert own_length_index(region, '    phone[strcspn(phone, "\\n")] = 0;', 5)
    assert not own_length_index(region, '    phone[strcspn(line, "\\n")] = 0;', 5)
    assert not own_length_index(region, "    phone[n] = 0;", 5)


def test_an_index_below_the_count_its_block_was_allocated_with() -> None:
    heap = "Potential out of bound access to the heap area with tainted index"
    source = ["char *msg = malloc((size_t)len + 1);", "fread(msg, 1, len, fp);", "msg[len] = '\\0';"]
    assert allocated_past_index(heap, "    msg[len] = '\\0';", 5, source)
    assert not allocated_past_index(
        heap, "    msg[len] = '\\0';", 5, [line.replace("+ 1", "- 1") for line in source]
    )
    assert not allocated_past_index(
        heap, "    msg[len] = '\\0';", 5, [line.replace("+ 1", "") for line in source]
    )
    assert not allocated_past_index(heap, "    msg[n] = '\\0';", 5, source)


PROGRAM = """#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    char name[32];
    while (fgets(name, sizeof name, stdin)) {
        name[strcspn(name, "\\n")] = 0;
        printf("Hello, %s!\\n", name);
    }
    if (argc > 1)
        name[atoi(argv[1])] = 0;
    return 0;
}
"""


NEEDS_CLANG_TIDY = pytest.mark.skipif(shutil.which("clang-tidy") is None, reason="clang-tidy not installed")


def tidy_findings(path: Path, code: str) -> list:
    """clang-tidy's findings on the C program ``code``, written to ``path``."""
    path.write_text(code)
    return ClangTidy().run([path], "c", timeout=120).get(path, [])


@NEEDS_CLANG_TIDY
def test_clang_tidy_keeps_a_tainted_index_and_drops_the_strcspn_idiom(tmp_path: Path) -> None:
    findings = tidy_findings(tmp_path / "greet.c", PROGRAM)
    tainted = sorted(f.line for f in findings if "tainted index" in f.message)
    assert tainted == [11]  # argv's index, not the fgets/strcspn line 7


@pytest.mark.parametrize(
    ("line", "column", "difference"),
    [
        ("    return &s[len - n];", 13, True),
        ("    t[strlen(t) - n] = '\\0';", 5, True),
        ("    return len < n ? s : &s[len - n];", 27, True),
        ("    c = v.data[s.size() - k];", 9, True),
        ("    c = buf[i];", 9, False),
        ("    c = buf[i - 1];", 9, False),  # one value and a constant: clang's own check stands
        ("    c = buf[len - n - 1];", 9, False),
        ("    c = a[b[i] - k];", 9, False),
    ],
)
def test_an_index_that_is_a_difference_of_two_values_is_left_to_the_dataflow_core(
    line: str, column: int, difference: bool
) -> None:
    assert difference_index(REPORT, line, column) is difference
    assert not difference_index("Out of bound access to memory after the end of 'name'", line, column)


def test_a_difference_index_report_is_recorded_but_not_decisive() -> None:
    rule = "clang-analyzer-security.ArrayBound"
    assert map_rule("clang-tidy", rule, REPORT + "; the index is a difference of two values") == ()
    assert "CWE-788" in map_rule("clang-tidy", rule, REPORT)


TAIL = """#include <stdio.h>
#include <stdlib.h>
#include <string.h>
const char *tail(const char *s, size_t n) {
    size_t len = strlen(s);
    if (n > len) return s;
    return &s[len - n];
}
int main(int argc, char **argv) {
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 4;
    char line[256];
    while (fgets(line, sizeof line, stdin)) printf("%s\\n", tail(line, n));
    return 0;
}
"""


@NEEDS_CLANG_TIDY
def test_clang_tidy_marks_the_ordered_difference_as_not_decisive(tmp_path: Path) -> None:
    findings = tidy_findings(tmp_path / "tail.c", TAIL)
    bounds = [f for f in findings if f.rule == "clang-analyzer-security.ArrayBound"]
    assert bounds and all(f.message.endswith("a difference of two values") and not f.cwe_ids for f in bounds)
