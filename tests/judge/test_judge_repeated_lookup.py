"""gcc-analyzer's NULL report about a lookup the program already tested with the same call."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccodegen.judge.analyzers.gcc_analyzer import GccAnalyzer
from seccodegen.judge.analyzers.repeated_lookup import rechecked_lookup

TESTED = """#include <stdio.h>
#include <string.h>
int split(char *line) {
    if (strchr(line, '=') == NULL) {
        return -1;
    }
    char *eq = strchr(line, '=');
    *eq = '\\0';
    return 0;
}
int main(void) { char s[] = "a=b"; return split(s); }
"""


def test_the_same_call_tested_before_is_recognised() -> None:
    assert rechecked_lookup(TESTED, "eq", 8)


@pytest.mark.parametrize(
    ("source", "line"),
    [
        (TESTED.replace("return -1;", 'puts("no =");'), 8),  # the test does not leave
        (TESTED.replace("    char *eq", "    line++;\n    char *eq"), 9),  # the searched string moved
        (TESTED.replace("strchr(line, '=');\n", "strchr(line, ':');\n"), 8),  # another search
        (TESTED.replace("if (strchr(line, '=') == NULL)", "if (line == NULL)"), 8),  # no lookup tested
    ],
)
def test_other_shapes_are_not(source: str, line: int) -> None:
    assert not rechecked_lookup(source, "eq", line)


@pytest.mark.skipif(not GccAnalyzer().available(), reason="gcc not installed")
def test_gcc_analyzer_drops_the_report_and_keeps_an_untested_one(tmp_path: Path) -> None:
    safe = tmp_path / "safe.c"
    safe.write_text(TESTED)
    unsafe = tmp_path / "unsafe.c"
    unsafe.write_text(TESTED.replace("if (strchr(line, '=') == NULL)", "if (line[0] == '#')"))
    found = GccAnalyzer().run([safe, unsafe], "c", 120)
    assert not [f for f in found.get(safe, []) if "NULL" in f.message]
    assert [f for f in found.get(unsafe, []) if "NULL" in f.message], found
