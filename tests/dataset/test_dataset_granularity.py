"""The four granularities on small C, C++, Java and Python fixes, and on fragments."""

from __future__ import annotations

import pytest

from seccodegen.dataset.changes import FileChange
from seccodegen.dataset.granularity import cut_change
from seccodegen.dataset.line_diff import diff_lines


def cuts_by(change: FileChange) -> dict[str, list]:
    out: dict[str, list] = {}
    for c in cut_change(change).cuts:
        out.setdefault(c.granularity, []).append(c)
    return out


C_BEFORE = """#include <string.h>

int other(void)
{
    return 1;
}

int copy(char *dst, const char *src, size_t n)
{
    size_t len = strlen(src);
    if (len > 0) {
        memcpy(dst, src, len);
    }
    return 0;
}
"""
C_AFTER = C_BEFORE.replace(
    "        memcpy(dst, src, len);",
    "        if (len >= n)\n            return -1;\n        memcpy(dst, src, len);",
)


def test_c_all_four_granularities():
    cuts = cuts_by(FileChange("a.c", C_BEFORE, C_AFTER, "c"))
    (file_cut,) = cuts["file"]
    assert file_cut.text == C_AFTER and file_cut.before == C_BEFORE
    assert file_cut.changed_lines == [12, 13]
    (fn,) = cuts["function"]
    assert fn.text.startswith("int copy(") and fn.text.rstrip().endswith("}")
    assert "int other" not in fn.text
    assert fn.before.startswith("int copy(") and "if (len >= n)" not in fn.before
    assert [fn.text.splitlines()[i - 1].strip() for i in fn.changed_lines] == ["if (len >= n)", "return -1;"]
    assert fn.extra["function"] == "copy"
    (blk,) = cuts["block"]
    assert blk.text.splitlines()[0].strip() == "if (len > 0) {"
    assert blk.text.count("\n") == 5 and blk.before.count("\n") == 3
    (line,) = cuts["line"]
    assert line.text == "        if (len >= n)\n            return -1;\n"
    assert line.before == ""  # pure insertion: the pre-fix file had nothing there


def test_pure_deletion_gives_function_and_block_but_no_line():
    before = "int f(int x)\n{\n    log(x);\n    return x;\n}\n"
    after = "int f(int x)\n{\n    return x;\n}\n"
    result = cut_change(FileChange("f.c", before, after, "c"))
    grans = [c.granularity for c in result.cuts]
    assert grans == ["file", "function", "block"]
    assert any(p.startswith("line:") for p in result.problems)
    fn = next(c for c in result.cuts if c.granularity == "function")
    assert fn.changed_lines == [] and "log(x);" in fn.before


def test_cpp_method_in_class_and_namespace():
    before = """namespace net {
class Buf {
public:
    int at(int i) const {
        return data_[i];
    }
private:
    int data_[8];
};
}
"""
    after = before.replace(
        "        return data_[i];", "        if (i < 0 || i >= 8) return 0;\n        return data_[i];"
    )
    cuts = cuts_by(FileChange("b.cc", before, after, "cpp"))
    (fn,) = cuts["function"]
    assert fn.text.strip().startswith("int at(int i) const {")
    (blk,) = cuts["block"]
    assert blk.text == fn.text  # the method body's braces open on the signature line
    assert cuts["line"][0].text.strip() == "if (i < 0 || i >= 8) return 0;"


def test_java_method_granularity():
    before = """public class Parser {
    public int read(byte[] b, int off) {
        int v = b[off];
        return v;
    }

    public int other() {
        return 0;
    }
}
"""
    after = before.replace(
        "        int v = b[off];",
        "        if (off < 0 || off >= b.length) {\n            throw new IllegalArgumentException();\n        }\n        int v = b[off];",
    )
    cuts = cuts_by(FileChange("Parser.java", before, after, "java"))
    (fn,) = cuts["function"]
    assert fn.text.strip().startswith("public int read(") and "other()" not in fn.text
    (blk,) = cuts["block"]
    assert blk.text.strip().startswith("public int read(")  # smallest block enclosing the new if statement
    assert len(cuts["line"][0].text.splitlines()) == 3


def test_python_function_and_block():
    before = """import subprocess


def run(cmd):
    if cmd:
        return subprocess.call(cmd, shell=True)
    return 0


def other():
    return 1
"""
    after = before.replace("subprocess.call(cmd, shell=True)", "subprocess.call(cmd.split(), shell=False)")
    cuts = cuts_by(FileChange("r.py", before, after, "python"))
    (fn,) = cuts["function"]
    assert fn.text.startswith("def run(cmd):") and "def other" not in fn.text
    assert fn.extra["function"] == "run"
    (blk,) = cuts["block"]
    assert blk.text.strip() == "return subprocess.call(cmd.split(), shell=False)"
    assert blk.before.strip() == "return subprocess.call(cmd, shell=True)"
    assert cuts["line"][0].changed_lines == [1]


def test_function_fragment_keeps_whole_function_and_cuts_blocks():
    before = "    def get(self, i):\n        return self.items[i]"
    after = "    def get(self, i):\n        if i < 0:\n            raise IndexError(i)\n        return self.items[i]"
    cuts = cuts_by(FileChange("m.py", before, after, "python", scope="function"))
    assert "file" not in cuts  # a fragment is not a whole file
    assert cuts["function"][0].text.startswith("    def get")
    assert cuts["block"][0].text.startswith("        if i < 0:")


def test_hunk_fragment_only_takes_complete_nodes():
    before = "    int a = 1;\n    if (x) {\n        y = 2;\n    }\n"
    after = "    int a = 1;\n    if (x) {\n        y = 3;\n    }\n"
    cuts = cuts_by(FileChange("h.c", before, after, "c", scope="hunk"))
    assert "function" not in cuts
    assert cuts["block"][0].text.strip().startswith("if (x) {")


def test_identical_and_deleted_files_are_reported():
    assert (
        cut_change(FileChange("a.c", "x\n", "x\n", "c"))
        .problems[0]
        .startswith("before and after are identical")
    )
    assert cut_change(FileChange("a.c", "x\n", None, "c")).problems[0].startswith("the fix deleted this file")


def test_change_outside_any_block_uses_top_level_declaration():
    before = "struct s {\n    int a;\n};\n"
    after = "struct s {\n    int a;\n    int b;\n};\n"
    cuts = cuts_by(FileChange("s.h", before, after, "c"))
    assert cuts["block"][0].text == after
    assert "function" not in cuts


@pytest.mark.parametrize(
    "before,after,added,deleted",
    [
        ("a\nb\nc\n", "a\nB\nc\n", [2], [2]),
        ("a\nb\nc\n", "a\nc\n", [], [2]),
        ("a\n", "a\nb\nc\n", [2, 3], []),
        ("", "x\n", [1], []),
    ],
)
def test_line_diff(before, after, added, deleted):
    d = diff_lines(before, after)
    assert d.added == added and d.deleted == deleted


def test_line_diff_maps_spans_back_to_the_before_text():
    before = "h\na\nb\nc\nd\n"
    after = "h\na\nX\nY\nb\nc\nd\n"
    d = diff_lines(before, after)
    assert d.before_span(2, 7) == (2, 5)
    assert len(d.hunks) == 1 and d.hunks[0].added == [3, 4]


def test_crlf_is_normalised():
    cuts = cuts_by(
        FileChange(
            "w.c",
            "int f(void)\r\n{\r\n    return 0;\r\n}\r\n",
            "int f(void)\r\n{\r\n    return 1;\r\n}\r\n",
            "c",
        )
    )
    assert "\r" not in cuts["function"][0].text and cuts["function"][0].changed_lines == [3]


def test_change_inside_include_guard_is_cut_at_the_declaration():
    before = "#ifndef X_H\n#define X_H\n\nint a;\n\nstruct s {\n    int a;\n};\n\nint z;\n\n#endif\n"
    after = before.replace("    int a;\n};", "    int a;\n    int b;\n};")
    (blk,) = cuts_by(FileChange("x.h", before, after, "c"))["block"]
    assert blk.text == "struct s {\n    int a;\n    int b;\n};\n"
