"""Frees on some paths only: a flag that records them, a range-for over owned pointers, and a
list unlinked through a pointer to the link (use-after-free, double-free)."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")


def test_a_flag_set_where_the_block_was_freed_guards_the_later_uses(query_hits) -> None:
    code = """int f(const char *line) {
    char *buf = strdup(line);
    if (!buf) return 1;
    int error = 0;
    if (strncmp(buf, "PKT:", 4) != 0) { free(buf); error = 1; }
    if (!error) puts(buf + 4);
    LATER
    if (!error) free(buf);
    return error; }"""
    assert query_hits("use-after-free", code.replace("LATER", "")) == []
    found = query_hits("use-after-free", code.replace("LATER", "puts(buf);"))  # used on the error path too
    assert [h.rule for h in found] == ["use-after-free"]


def test_each_owned_pointer_of_a_range_for_is_freed_once(query_hits) -> None:
    code = """struct P { int g; };
void f(std::vector<P *> &v) { for (P *p : v) delete p; v.clear(); }"""
    assert query_hits("use-after-free", code, "cpp") == []
    twice = code.replace("delete p;", "{ delete p; delete p; }")
    assert [h.rule for h in query_hits("use-after-free", twice, "cpp")] == ["double-free"]


def test_a_list_unlinked_through_a_pointer_to_its_link(query_hits) -> None:
    code = """struct T { int expires; struct T *next; };
struct T *purge(struct T *head, int now) {
    struct T **link = &head;
    struct T *next = NULL;
    for (struct T *t = head; t != NULL; t = next) {
        next = t->next;
        if (t->expires <= now) { *link = next; free(t); }
        else link = &t->next;
    }
    return head; }"""
    assert query_hits("use-after-free", code) == []
    stale = code.replace("t = next) {\n        next = t->next;", "t = t->next) {")
    assert stale != code and query_hits("use-after-free", stale)  # t->next read after free(t)


def test_strncat_bound_that_keeps_more_than_the_nul(query_hits) -> None:
    code = 'void f(const char *cmd) { char note[64]; snprintf(note, sizeof note, "cmd: "); strncat(note, cmd, BOUND); strcat(note, "\\n"); puts(note); }'
    assert query_hits("strncat-size", code.replace("BOUND", "sizeof(note) - strlen(note) - 2")) == []
    assert query_hits("strncat-size", code.replace("BOUND", "sizeof(note) - strlen(note)"))


def test_checks_on_an_earlier_variable_of_the_same_name_do_not_bound_a_new_one(query_hits) -> None:
    code = """int main() { std::size_t n; if (!(std::cin >> n) || n == 0 || n > 100) return 1;
    std::vector<long> values(n);
    for (std::size_t i = 0; i < n; ++i) if (!(std::cin >> values[i])) return 1;
    std::vector<long> prefix(n); long run = 0;
    for (std::size_t i = 0; i <= prefix.size(); ++i) { run += 1; prefix[i] = run; }
    return 0; }"""
    found = query_hits("container-index-at-size", "#include <iostream>\n" + code, "cpp")
    assert [h.cwe_ids for h in found] == [("CWE-193", "CWE-787")]


def test_a_struct_copied_into_an_element_is_a_write(query_hits) -> None:
    code = """#include <array>
#include <iostream>
struct Ticket { int id; double price; };
static std::array<Ticket, 8> slots{};
static bool store(int slot, const Ticket &t) { if (slot < 0) return false; slots[slot] = t; return true; }
int main() { int s; while (std::cin >> s) store(s, Ticket{1, 2.0}); return 0; }"""
    found = query_hits("out-of-bounds", code, "cpp")
    assert found and "CWE-787" in found[0].cwe_ids


def test_every_element_freed_by_a_range_for_is_freed(query_hits) -> None:
    code = """struct Item { int qty; };
int f(std::vector<Item *> &items) { if (items.empty()) return 0; for (Item *it : items) delete it; LATER return 0; }"""
    found = query_hits("use-after-free", code.replace("LATER", "int q = items[0]->qty; items.clear(); return q;"), "cpp")
    assert [h.rule for h in found] == ["use-after-free"]
    assert query_hits("use-after-free", code.replace("LATER", "items.clear();"), "cpp") == []
