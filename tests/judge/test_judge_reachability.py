"""Findings inside a static function a whole program never names do not decide `secure`."""

from __future__ import annotations

import pytest

from seccodegen.findings import Finding
from seccodegen.judge.engine import Analysis
from seccodegen.judge.items import JudgeItem
from seccodegen.judge.reachability import dead_ranges, live_findings
from seccodegen.judge.stage import decide_secure

pytest.importorskip("tree_sitter_c")

HELPERS = """#include <stdlib.h>
#include <string.h>
static char *helper_bad(const char *s);
static char *helper_bad(const char *s)
{
    char *r = malloc(strlen(s) + 1);
    if (r == NULL) exit(1);
    strcpy(r, s);
    free(r);
    return r;
}
static char *helper_good(const char *s)
{
    char *r = malloc(strlen(s) + 1);
    if (r == NULL) exit(1);
    return strcpy(r, s);
}
"""
UAF = Finding(tool="clang-tidy", rule="clang-analyzer-unix.Malloc", message="Use of memory after it is released",
              line=10, file="main.c", cwe_ids=("CWE-416",))  # fmt: skip


def program(call: str, with_main: bool = True) -> str:
    entry = "int main(void)" if with_main else "int run(void)"
    return HELPERS + f'{entry}\n{{\n    char *s = {call}("x");\n    free(s);\n    return 0;\n}}\n'


def test_an_unnamed_static_function_of_a_whole_program_is_dead() -> None:
    assert dead_ranges(program("helper_good"), "c") == ((4, 11),)  # the prototype does not name it
    assert dead_ranges(program("helper_bad"), "c") == ((12, 17),)
    assert dead_ranges(program("helper_bad", with_main=False), "c") == ()  # a fragment: callers elsewhere
    macro = program("helper_good").replace("int main", "#define RUN(x) helper_bad(x)\nint main")
    assert dead_ranges(macro, "c") == ()  # named by a macro that main could expand


def test_findings_in_dead_code_do_not_decide() -> None:
    for call, secure in (("helper_good", True), ("helper_bad", False)):
        item = JudgeItem(code=program(call), language="c", target_cwe="CWE-416", source_name="main.c")
        analysis = Analysis(valid=True, analyzers={"clang-tidy": "ok"}, findings=[UAF])
        assert decide_secure(item, analysis) is secure
        assert len(live_findings([UAF], item.code, "c", "main.c")) == (0 if secure else 1)


def test_other_languages_and_static_members_are_left_alone() -> None:
    assert dead_ranges("def f():\n    pass\n", "python") == ()
    cpp = "struct S { static int twice(int x) { return 2 * x; } };\nint main() { return 0; }\n"
    assert dead_ranges(cpp, "cpp") == ()
