"""The dataflow core on tiny C/C++ snippets: taint, aliases, NULL-ness, frees, guards."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccodegen.judge.dataflow import analyze_translation_unit, base_var, frontend, guarded, tainted

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

HDR = "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"


def facts(tmp_path: Path, code: str, language: str = "c", name: str | None = None):
    path = tmp_path / ("t.c" if language == "c" else "t.cpp")
    path.write_text(code)
    fns = analyze_translation_unit(path, language)
    return fns if name is None else next(f for f in fns if f.name == name)


def only_call(fn, name, i=0):
    return fn.calls(name)[i]


def test_taint_through_alias_offset_write_and_strcat(tmp_path):
    fn = facts(tmp_path, HDR + """
int main(void) {
    char buf[100] = "ls "; char *data = buf; size_t n = strlen(data);
    fgets(data + n, (int)(100 - n), stdin);
    char cmd[200]; strcpy(cmd, "x"); strcat(cmd, buf);
    system(cmd); system("ls"); return 0; }""", name="main")
    first, second = fn.calls("system")
    assert tainted(first.args[0], first.state)
    assert not tainted(second.args[0], second.state)


def test_constant_data_is_not_tainted_and_reassignment_kills(tmp_path):
    fn = facts(tmp_path, HDR + """
void f(void) { char *e = getenv("X"); e = "safe"; system(e); }""", name="f")
    ev = only_call(fn, "system")
    assert not tainted(ev.args[0], ev.state)


def test_parameters_are_labelled_but_only_count_when_asked(tmp_path):
    fn = facts(tmp_path, HDR + """
void run(const char *name) { char cmd[64]; snprintf(cmd, sizeof cmd, "cat %s", name); system(cmd); }""",
               name="run")
    ev = only_call(fn, "system")
    assert not tainted(ev.args[0], ev.state)
    assert tainted(ev.args[0], ev.state, params=True)


def test_argv_and_scanf_are_sources(tmp_path):
    fn = facts(tmp_path, HDR + """
int main(int argc, char **argv) { int n; char s[10]; scanf("%d %9s", &n, s); puts(argv[1]); puts(s);
  return n; }""", name="main")
    a, b = fn.calls("puts")
    assert tainted(a.args[0], a.state) and tainted(b.args[0], b.state)


def test_null_check_early_return_and_branch_join(tmp_path):
    fn = facts(tmp_path, HDR + """
void f(void) {
  char *p = malloc(8); char *q = malloc(8); char *r = malloc(8);
  if (p == NULL) return;
  strcpy(p, "a");
  if (q) strcpy(q, "b");
  strcpy(q, "c");
  if (!r) { puts("no memory"); }
  strcpy(r, "d");
}""", name="f")
    cps = fn.calls("strcpy")
    assert guarded(cps[0], "p", "null")
    assert guarded(cps[1], "q", "null")
    assert not guarded(cps[2], "q", "null")
    assert not guarded(cps[3], "r", "null")


def test_assert_and_short_circuit_count_as_null_checks(tmp_path):
    fn = facts(tmp_path, HDR + """#include <assert.h>
void f(void) { char *p = malloc(8); assert(p); p[0] = 0;
  char *q = malloc(8); if (q != NULL && q[0] == 0) puts("x"); }""", name="f")
    derefs = [e for e in fn.events if e.kind == "deref"]
    assert all(guarded(e, e.name, "null") for e in derefs)


def test_free_reaches_aliases_and_next_loop_iteration(tmp_path):
    fn = facts(tmp_path, HDR + """
void f(int n) { char *p = malloc(8); char *q = p; free(p); puts(q);
  char *r = malloc(8); for (int i = 0; i < n; i++) { puts(r); free(r); } }""", name="f")
    puts = fn.calls("puts")
    assert "q" in puts[0].state.freed
    loop = [e for e in puts[1:] if e.args and base_var(e.args[0]) == "r"]
    assert [("r" in e.state.freed) for e in loop] == [False, True]


def test_reassignment_after_free_clears_it(tmp_path):
    fn = facts(tmp_path, HDR + """
void f(void) { char *p = malloc(8); free(p); p = NULL; p = malloc(4); puts(p); }""", name="f")
    assert "p" not in only_call(fn, "puts").state.freed


def test_bounds_guard_dominates_and_validation_loop_is_a_check(tmp_path):
    fn = facts(tmp_path, HDR + """
int g(int *a, int i) { if (i < 0 || i >= 10) return -1; return a[i]; }
int h(int *a, int i) { if (i > 3) puts("big"); return a[i]; }
int run(const char *s) {
  for (int i = 0; s[i]; i++) if (!isalnum((unsigned char)s[i])) return 1;
  char cmd[64]; snprintf(cmd, sizeof cmd, "ls %s", s); return system(cmd); }""")
    g, h, run = fns = {f.name: f for f in fn}["g"], {f.name: f for f in fn}["h"], {f.name: f for f in fn}["run"]
    del fns
    deref = [e for e in g.events if e.kind == "deref"][0]
    assert guarded(deref, "i", "bounds", dominating_only=True)
    deref = [e for e in h.events if e.kind == "deref"][0]
    assert not guarded(deref, "i", "bounds")
    ev = only_call(run, "system")
    assert guarded(ev, "cmd", "allowlist")
    assert not guarded(ev, "cmd", "allowlist", dominating_only=True)


def test_cpp_string_and_stream_taint(tmp_path):
    fn = facts(tmp_path, """#include <string>
#include <iostream>
#include <fstream>
#include <cstdlib>
int main() { std::string name; std::cin >> name; std::string path = "/srv/" + name;
  std::ifstream in(path); std::string cmd = "ls "; cmd += name; std::system(cmd.c_str());
  std::string k = "fixed"; std::system(k.c_str()); return 0; }""", "cpp", name="main")
    first, second = fn.calls("system")
    assert tainted(first.args[0], first.state)
    assert not tainted(second.args[0], second.state)
    ctor = [e for e in fn.calls() if "ifstream" in e.name][0]
    assert tainted(ctor.args[0], ctor.state)


def test_missing_header_is_tolerated(tmp_path):
    fn = facts(tmp_path, '#include "nowhere.h"\n' + HDR + 'void f(void){ char *p = malloc(3); p[0] = 1; }', name="f")
    deref = [e for e in fn.events if e.kind == "deref"][0]
    assert not guarded(deref, "p", "null")


def test_arith_events_carry_operand_taint_and_rand_is_labelled_apart(tmp_path):
    fn = facts(tmp_path, HDR + """
int main(int argc, char **argv) { int n = atoi(argv[1]); int r = rand(); int a = n * 4; r++;
  size_t s = (size_t)r + 1; char *p = malloc(s); free(p); return a; }""", name="main")
    arith = [e for e in fn.events if e.kind == "arith"]
    mul = next(e for e in arith if e.name == "*")
    assert tainted(mul.args[0], mul.state)
    inc = next(e for e in arith if e.name == "++")
    assert not tainted(inc.args[0], inc.state)
    from seccodegen.judge.dataflow import taint_of

    assert "rand:rand" in taint_of(inc.args[0], inc.state)


def test_a_parameter_that_a_call_passes_input_to_carries_it(tmp_path):
    code = HDR + """
int next_id(int current) { return current + 1; }
int scale(int v) { return next_id(v) * 2; }
int fixed(int v) { return v + 1; }
int main(int argc, char **argv) { int id = atoi(argv[1]); printf("%d %d", scale(id), fixed(3)); return 0; }"""
    fns = {f.name: f for f in facts(tmp_path, code)}
    # main -> scale(id) -> next_id(v): two calls deep, labelled with where the input came from
    (add,) = [e for e in fns["next_id"].events if e.kind == "arith"]
    assert add.state.taint["current"] == frozenset({"param:current", "src:argv"})
    assert tainted(add.args[0], add.state)
    (plus,) = [e for e in fns["fixed"].events if e.kind == "arith"]
    assert not tainted(plus.args[0], plus.state)  # only ever called with a constant


def test_memory_handed_over_by_a_pointer_to_numbers_is_the_callers_to_bound(tmp_path):
    code = HDR + """
int mean(const int *v, int n) { int m = 0; for (int i = 0; i < n; i++) m += v[i] / n; return m; }
void show(const char *s) { printf(s); }
int main(void) { int v[8]; int n = 0; char line[64];
  while (n < 8 && scanf("%d", &v[n]) == 1) n++;
  if (!fgets(line, sizeof line, stdin)) return 1;
  show(line); return mean(v, n); }"""
    fns = {f.name: f for f in facts(tmp_path, code)}
    (call,) = fns["show"].calls("printf")
    assert tainted(call.args[0], call.state)  # a character string: the input itself
    # int *: the readings main stored, as the parameter they always were (param:v only)
    assert all(e.state.taint.get("v") == frozenset({"param:v"}) for e in fns["mean"].events)


def test_input_passed_to_a_helper_is_reported_there(tmp_path):
    from seccodegen.judge.dataflow.queries import run_queries

    path = tmp_path / "t.c"
    helper = "int next_id(int current) { return current + 1; }\n"
    path.write_text(HDR + helper + 'int main(int argc, char **argv) { printf("%d", next_id(atoi(argv[1]))); return 0; }')
    (hit,) = run_queries(path, "c", ["-std=gnu17"], ["integer-overflow"])
    assert "input (argv)" in hit.message and hit.line == 4
    path.write_text(HDR + helper)  # no caller in the file: a parameter counts only at a sink
    assert run_queries(path, "c", ["-std=gnu17"], ["integer-overflow"]) == []
