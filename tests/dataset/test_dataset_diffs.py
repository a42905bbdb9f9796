"""Unified-diff parsing/applying (Debian patches) and the n-gram contamination index."""

from __future__ import annotations

import pytest

from seccodegen.dataset.contamination import NgramIndex, Scenario, code_tokens, load_scenarios
from seccodegen.dataset.unified_diff import PatchDoesNotApply, apply_file_diff, parse_unified_diff
from seccodegen.errors import InputError

PATCH = """Subject: fix

--- a/x.c
+++ b/x.c
@@ -2,3 +2,4 @@ int f(void)
 {
-    return 0;
+    int r = 0;
+    return r;
 }
"""


def test_parse_and_apply_with_offset():
    (fd,) = parse_unified_diff(PATCH)
    assert fd.new_path == "b/x.c" and fd.hunks[0].header == "int f(void)"
    original = (
        "/* new header line */\nint f(void)\n{\n    return 0;\n}\n"  # one line later than the patch says
    )
    assert (
        apply_file_diff(original, fd)
        == "/* new header line */\nint f(void)\n{\n    int r = 0;\n    return r;\n}\n"
    )


def test_apply_refuses_a_mismatching_file():
    (fd,) = parse_unified_diff(PATCH)
    with pytest.raises(PatchDoesNotApply):
        apply_file_diff("int g(void)\n{\n    return 1;\n}\n", fd)


def test_added_and_deleted_files():
    diffs = parse_unified_diff(
        "--- /dev/null\n+++ b/new.c\n@@ -0,0 +1 @@\n+int x;\n--- a/old.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-int y;\n"
    )
    assert diffs[0].old_path is None and diffs[1].new_path is None
    assert apply_file_diff("", diffs[0]) == "int x;\n"


def test_ngram_index_ignores_layout_and_counts_shared_ngrams():
    index = NgramIndex.build([Scenario("s1", "for (i = 0; i < n; i++) buf[i] = src[i];", "-")], n=5)
    assert code_tokens("a[i]=b;") == ["a", "[", "i", "]", "=", "b", ";"]
    assert code_tokens("p->n += x++ :: y") == ["p", "->", "n", "+=", "x", "++", "::", "y"]
    hit = index.matches("int x;\nfor (i = 0;\n     i < n; i++)\n  buf[i] = 0;")
    assert hit == {"s1": 14}  # "for ( i = 0 ; i < n ; i ++ ) buf [ i ] =": 18 shared tokens, 14 5-grams
    assert index.matches("while (i < n) i++;") == {}


def test_load_scenarios_skips_broken_files(dsfix):
    skipped: list[str] = []
    suite = load_scenarios(dsfix / "scenarios", skipped)
    assert sorted(s.id for s in suite) == ["c/cwe-125/get", "c/cwe-787/unrelated"]
    assert len(skipped) == 1 and "broken.yaml" in skipped[0]


def test_load_scenarios_needs_files(tmp_path):
    with pytest.raises(InputError, match="no scenario YAML"):
        load_scenarios(tmp_path)


def test_include_lines_do_not_count_as_overlap():
    prompt = "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nint main(void) {\n"
    index = NgramIndex.build([Scenario("s", prompt, "-")], n=10)
    assert (
        index.matches("#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nstatic int x;\n") == {}
    )
