"""invalidated-reference: references, pointers and iterators into a container that a
reallocating call may have moved (CWE-416)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccodegen.judge.dataflow import analyze_translation_unit, frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

HDR = "#include <algorithm>\n#include <string>\n#include <vector>\nstruct Task { std::string name; int n = 0; };\n"


def hits(tmp_path: Path, code: str) -> list:
    from seccodegen.judge.dataflow.queries import QUERIES

    path = tmp_path / "t.cpp"
    path.write_text(HDR + code)
    q = QUERIES.get("invalidated-reference")()
    return [h for fn in analyze_translation_unit(path, "cpp") for h in q.run(fn, "cpp")]


@pytest.mark.parametrize(
    "code",
    [
        # a reference into the vector, used after push_back grew it
        "void split(std::vector<Task>& v, size_t i){ Task& p = v[i]; v.push_back(Task{}); p.n++; }",
        # across loop iterations: the use comes first in the body, the growth at its end
        "void split(std::vector<Task>& v, size_t i, int k){ Task& p = v[i];"
        " for (int j = 0; j < k; ++j) { p.n++; v.push_back(p); } }",
        # pointers, iterators, range-for references, strings
        "int f(std::vector<int>& v){ int *p = &v[0]; v.resize(100); return *p; }",
        "int f(std::vector<int>& v){ auto it = std::find(v.begin(), v.end(), 3); v.insert(v.begin(), 1); return *it; }",
        "void f(std::vector<int>& v){ for (auto& x : v) { if (x == 0) v.push_back(1); x++; } }",
        "const char *f(std::string& s){ const char *c = s.c_str(); s += \"more text\"; return c; }",
    ],
)
def test_uses_after_reallocation_are_found(tmp_path: Path, code: str) -> None:
    found = hits(tmp_path, code)
    assert found and found[0].cwe_ids == ("CWE-416",), found


@pytest.mark.parametrize(
    "code",
    [
        # copied out before growing: a value, not a borrow
        "void split(std::vector<Task>& v, size_t i){ Task p = v[i]; v.push_back(Task{}); p.n++; }",
        # index kept instead of a reference, re-read after the growth
        "void split(std::vector<Task>& v, size_t i){ v.push_back(Task{}); v[i].n++; }",
        # rebound after the erase
        "void f(std::vector<int>& v){ auto it = v.begin(); while (it != v.end()) { if (*it == 0)"
        " it = v.erase(it); else ++it; } }",
        # a reference to another container is unaffected
        "void f(std::vector<int>& v, std::vector<int>& w){ int& r = w[0]; v.push_back(1); r++; }",
        # growth on a path the use is not on
        "int f(std::vector<int>& v, bool grow){ int& r = v[0]; if (grow) { v.push_back(1); return 0; } return r; }",
    ],
)
def test_safe_patterns_are_not(tmp_path: Path, code: str) -> None:
    assert hits(tmp_path, code) == []


def test_a_dangling_reference_passed_to_the_growing_call_is_a_use(tmp_path: Path) -> None:
    code = "void f(std::vector<Task>& v, int k){ Task& p = v[0]; for (int j = 0; j < k; ++j) v.push_back(p); }"
    found = hits(tmp_path, code)
    assert found and "push_back" not in found[0].message and "'p'" in found[0].message, found


def test_assigning_to_a_dangling_reference_is_a_use_not_a_rebinding(tmp_path: Path) -> None:
    code = "void f(std::vector<Task>& v){ Task& p = v[0]; v.push_back(p); p = v.back(); }"
    assert hits(tmp_path, code)
    code = "void f(std::vector<int>& v){ int& r = v[0]; v.push_back(1); r = 5; }"
    assert hits(tmp_path, code)


NODE_HDR = "#include <list>\n#include <map>\n#include <set>\n"


@pytest.mark.parametrize(
    "code",
    [
        # the erase loop that forgot it = c.erase(it): the next iteration reads the erased node
        "int f(std::list<Task>& l){ int n = 0; for (auto it = l.begin(); it != l.end();) {"
        " if (it->n < 0) { l.erase(it); n++; } else { ++it; } } return n; }",
        "void f(std::map<std::string, int>& m){ for (auto it = m.begin(); it != m.end(); ++it)"
        " if (it->second == 0) m.erase(it); }",
        # clear() removes every element a borrow could point at
        "int f(std::set<int>& s){ auto it = s.find(3); s.clear(); return *it; }",
    ],
)
def test_iterators_erased_from_node_containers_are_found(tmp_path: Path, code: str) -> None:
    found = hits(tmp_path, NODE_HDR + code)
    assert found and "erased" in found[0].message, found


@pytest.mark.parametrize(
    "code",
    [
        "int f(std::list<Task>& l){ int n = 0; for (auto it = l.begin(); it != l.end();) {"
        " if (it->n < 0) { it = l.erase(it); n++; } else { ++it; } } return n; }",
        # the classic map idiom: the iterator moves on before its node goes
        "void f(std::map<std::string, int>& m){ for (auto it = m.begin(); it != m.end();)"
        " { if (it->second == 0) m.erase(it++); else ++it; } }",
        # inserting into a node container moves no element; erasing another one leaves 'it' valid
        "int f(std::map<std::string, int>& m){ auto it = m.begin(); m[\"x\"] = 1; m.insert({\"y\", 2});"
        " return it->second; }",
        "int f(std::list<int>& l){ auto it = l.begin(); auto last = --l.end(); l.push_back(3);"
        " if (it != last) l.erase(last); return *it; }",
    ],
)
def test_node_container_patterns_that_keep_iterators_valid_are_not(tmp_path: Path, code: str) -> None:
    assert hits(tmp_path, NODE_HDR + code) == []
