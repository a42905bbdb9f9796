"""clang-tidy's tainted-index reports on an index that is the string's own length are dropped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from seccodegen.judge.analyzers.clang_tidy import ClangTidy, own_length_index

REPORT = "Potential out of bound access to 'name' with tainted index"


def test_an_index_that_is_the_strings_own_length_is_in_bounds() -> None:
    assert own_length_index(REPORT, '    name[strcspn(name, "\\n")] = 0;')
    assert own_length_index(REPORT, "    name[strlen(name)] = '\\0';")
    assert not own_length_index(REPORT, "    name[strlen(name) - 1] = 0;")  # empty string: index -1
    assert not own_length_index(REPORT, '    other[strcspn(name, "\\n")] = 0;')
    assert not own_length_index(REPORT, "    name[n] = 0;")
    assert not own_length_index("Potential out of bound access to the region with tainted index",
                                '    name[strcspn(name, "\\n")] = 0;')  # fmt: skip


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


@pytest.mark.skipif(shutil.which("clang-tidy") is None, reason="clang-tidy not installed")
def test_clang_tidy_keeps_a_tainted_index_and_drops_the_strcspn_idiom(tmp_path: Path) -> None:
    src = tmp_path / "greet.c"
    src.write_text(PROGRAM)
    findings = ClangTidy().run([src], "c", timeout=120).get(src, [])
    tainted = sorted(f.line for f in findings if "tainted index" in f.message)
    assert tainted == [11]  # argv's index, not the fgets/strcspn line 7
