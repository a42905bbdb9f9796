"""Constant facts (values, block sizes, string lengths) and the overflow-buffer query built on them.

Each vulnerable snippet is one the judge used to miss (no input drives the overflow, so the
taint-based checks stay silent, and gcc only warns about the ``strlen(src)`` idiom whatever the
sizes); each fixed one differs only in the sizes, so a check that matched the idiom would fail it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from seccodegen.judge.dataflow import analyze_translation_unit, frontend
from seccodegen.judge.dataflow.queries import run_queries

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

HDR = "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <stdint.h>\n"


def hits(tmp_path: Path, code: str, rule: str = "overflow-buffer") -> list:
    path = tmp_path / "t.c"
    path.write_text(HDR + code)
    return [h for h in run_queries(path, "c") if h.rule == rule]


def events(tmp_path: Path, code: str, name: str = "f"):
    path = tmp_path / "t.c"
    path.write_text(HDR + code)
    return next(fn for fn in analyze_translation_unit(path, "c") if fn.name == name).events


def filled_copy(fill: int, sink: str) -> str:
    """A heap string of ``fill`` 'A's copied into a 50-byte stack buffer by ``sink``."""
    return f"""
void f(void) {{
    char *data = (char *)malloc(100 * sizeof(char));
    if (data == NULL) exit(1);
    memset(data, 'A', {fill});
    data[{fill}] = '\\0';
    char dest[50] = "";
    {sink}
    puts(dest);
    free(data);
}}"""


@pytest.mark.parametrize(
    "sink",
    [
        "memcpy(dest, data, strlen(data) * sizeof(char));",
        "strncat(dest, data, strlen(data));",
        "strcpy(dest, data);",
        "size_t n = strlen(data); for (size_t i = 0; i < n; i++) dest[i] = data[i];",
    ],
)
def test_known_string_length_past_the_destination_is_an_overflow(tmp_path: Path, sink: str) -> None:
    found = hits(tmp_path, filled_copy(99, sink), rule="overflow-buffer") + hits(
        tmp_path, filled_copy(99, sink), rule="out-of-bounds"
    )
    assert found and "CWE-787" in found[0].cwe_ids, found
    assert not hits(tmp_path, filled_copy(49, sink)) and not hits(
        tmp_path, filled_copy(49, sink), "out-of-bounds"
    )


def test_block_sizes_of_allocations_and_aliases(tmp_path: Path) -> None:
    bad = hits(
        tmp_path,
        """
void f(void) {
    int source[10] = {0};
    int *data = (int *)malloc(10);                 /* 10 bytes, not 10 ints */
    if (!data) return;
    memcpy(data, source, 10 * sizeof(int));
    char small[50], large[100], text[100];
    char *p = small;
    memset(text, 'C', 99); text[99] = '\\0';
    strcpy(p, text);
    fgets(small, 100, stdin);
    free(data);
}""",
    )
    assert [(h.line - 4, h.cwe_ids) for h in bad] == [
        (6, ("CWE-787", "CWE-805", "CWE-122")),
        (10, ("CWE-787", "CWE-120", "CWE-121")),
        (11, ("CWE-787", "CWE-805", "CWE-121")),
    ]
    assert not hits(
        tmp_path,
        """
void f(void) {
    int source[10] = {0};
    int *data = (int *)malloc(10 * sizeof(int));
    if (!data) return;
    memcpy(data, source, 10 * sizeof(int));
    char small[50], large[100], text[100];
    char *p = large;
    memset(text, 'C', 99); text[99] = '\\0';
    strcpy(p, text);
    fgets(small, sizeof small, stdin);
    free(data);
}""",
    )


@pytest.mark.parametrize(
    "unknown",
    [
        "fgets(data, 100, stdin);",  # filled from input: its length is not a constant
        "for (int i = 0; i < 99; i++) data[i] = (char)getchar();",  # written in a loop
        "fill(data);",  # passed to a function that may write it (non-const parameter)
        "if (getchar() == 'x') data[10] = '\\0';",  # the end differs between paths
    ],
)
def test_lengths_the_walk_cannot_follow_are_forgotten(tmp_path: Path, unknown: str) -> None:
    code = f"""
void fill(char *p);
void f(void) {{
    char data[100];
    memset(data, 'A', 99);
    data[99] = '\\0';
    {unknown}
    char dest[50];
    strcpy(dest, data);
    puts(dest);
}}"""
    assert not hits(tmp_path, code)


def test_a_const_parameter_keeps_the_length(tmp_path: Path) -> None:
    code = """
void show(const char *p);
void f(void) {
    char data[100];
    memset(data, 'A', 99);
    data[99] = '\\0';
    show(data);
    char dest[50];
    strcpy(dest, data);
}"""
    assert len(hits(tmp_path, code)) == 1


def test_constants_are_must_facts(tmp_path: Path) -> None:
    evs = events(
        tmp_path,
        """
int g(int *p);
void f(int c) {
    int a = 5, b = 5, k = 3, m = 1, z = 2;
    if (c) { a = 7; b = 5; }
    g(&k);
    m++;
    for (int i = 0; i < c; i++) { puts("in"); z = 1; }
    puts("end");
}""",
    )
    inside = next(e for e in evs if e.kind == "call" and e.name == "puts").state
    last = [e for e in evs if e.kind == "call" and e.name == "puts"][-1].state
    assert last.consts.get("b") == 5  # equal on both paths
    assert "a" not in last.consts  # 7 or 5
    assert "k" not in last.consts and "m" not in last.consts  # passed by address; incremented
    assert "z" not in inside.consts and "i" not in inside.consts  # a loop pass starts from any iteration
    assert "z" not in last.consts  # 2 or 1 after zero or more iterations


def test_moved_pointers_and_trailing_struct_arrays_have_no_known_size(tmp_path: Path) -> None:
    code = """
struct msg { int len; char data[1]; };
void f(struct msg *m) {
    char buf[8];
    char *p = buf;
    p++;
    strcpy(p, "1234567");      /* 8 bytes from buf + 1: past the end, but p moved: size unknown */
    memcpy(m->data, "hello", 6);  /* the block is allocated past the declared end */
}"""
    assert not hits(tmp_path, code)
    assert hits(tmp_path, code.replace("p++;", "").replace("1234567", "12345678"))


@pytest.mark.parametrize(
    "source",
    ['const char *s = "abcdef";', 'char s[] = "abcdef";', 'char s[16]; strcpy(s, "abc"); strcat(s, "def");'],
)
def test_literal_lengths_reach_the_copy(tmp_path: Path, source: str) -> None:
    code = f"void f(void) {{ {source} char b[6]; strcpy(b, s); puts(b); }}"
    assert len(hits(tmp_path, code)) == 1
    assert not hits(tmp_path, code.replace("b[6]", "b[7]"))


@pytest.mark.parametrize(
    ("call", "found"),
    [
        ("std::cin.getline(buf, 100);", True),
        ("in.read(buf, 20);", True),
        ("std::cin.get(buf, 11);", True),
        ("std::cin.getline(buf, sizeof buf);", False),
        ("std::getline(std::cin, s);", False),  # into a std::string: no fixed size
        ("buf[0] = (char)std::cin.get();", False),  # one character, no buffer argument
    ],
)
def test_a_stream_read_larger_than_its_array(query_hits, call: str, found: bool) -> None:
    code = '#include <iostream>\n#include <fstream>\nint f(){ char buf[10]; std::string s; std::ifstream in("x"); %s return buf[0]; }'
    out = query_hits("overflow-buffer", code % call, "cpp")
    assert bool(out) == found, out


def test_a_nested_initializer_list_is_not_evaluated(query_hits) -> None:
    """clang_Cursor_Evaluate crashes the process on ``{{0}}``; the core must not call it there."""
    code = 'int f(void){ int grid[8][8] = {{0}}; int r, c; if (scanf("%d %d", &r, &c) == 2) grid[r][c] = 1; return grid[0][0]; }'
    found = query_hits("out-of-bounds", code)
    assert found and "no lower and upper bound" in found[0].message, found


def test_a_read_that_fills_a_text_buffer_to_its_end(query_hits) -> None:
    code = """static int read_reply(int fd, char *buf, size_t size) {
    ssize_t n = read(fd, buf, COUNT);
    if (n < 0) return -1;
    buf[n] = '\\0';
    return (int)n; }
int main(void) { char reply[32]; return read_reply(0, reply, sizeof reply); }"""
    whole = query_hits("unterminated-copy", "#include <unistd.h>\n" + code.replace("COUNT", "size"))
    assert [h.cwe_ids for h in whole] == [("CWE-193", "CWE-787")]  # the NUL goes at buf[size]
    room = "#include <unistd.h>\n" + code.replace("COUNT", "size - 1")
    assert query_hits("unterminated-copy", room) == []
    assert query_hits("out-of-bounds", room) == []  # n <= size - 1: inside
    banner = 'int main(void) { char b[64]; FILE *f = fopen("motd", "r"); if (!f) return 1; size_t n = fread(b, 1, COUNT, f); fclose(f); if (n == 0) return 1; TERM printf("%s", b); return 0; }'
    unterminated = query_hits("unterminated-copy", banner.replace("COUNT", "sizeof b").replace("TERM", ""))
    assert [h.cwe_ids for h in unterminated] == [("CWE-170", "CWE-125")]
    terminated = banner.replace("COUNT", "sizeof b - 1").replace("TERM", "b[n] = '\\0';")
    assert query_hits("unterminated-copy", terminated) == []


def test_a_read_buffer_passed_on_with_its_count_is_no_string(query_hits) -> None:
    cat = 'int main(void) { char b[4096]; size_t n; FILE *f = fopen("x", "r"); if (!f) return 1; while ((n = fread(b, 1, sizeof b, f)) > 0) USE; fclose(f); return 0; }'
    assert query_hits("unterminated-copy", cat.replace("USE", "fwrite(b, 1, n, stdout)")) == []
    assert query_hits("unterminated-copy", cat.replace("USE", "fputs(b, stdout)")) != []
