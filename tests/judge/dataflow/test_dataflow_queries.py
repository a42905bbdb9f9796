"""The dataflow queries and the seccodegen-dataflow analyzer on small vulnerable/fixed pairs."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccodegen.judge.analyzers import get_analyzer
from seccodegen.judge.dataflow import frontend
from seccodegen.judge.dataflow.queries import run_queries

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

HDR = "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <unistd.h>\n"


def rules(tmp_path: Path, code: str, language: str = "c") -> set[tuple[str, str]]:
    path = tmp_path / ("t.c" if language == "c" else "t.cpp")
    path.write_text(code)
    return {(h.rule, cwe) for h in run_queries(path, language) for cwe in h.cwe_ids}


def test_null_deref_of_unchecked_allocation_and_of_own_null_returning_lookup(tmp_path):
    bad = rules(tmp_path, HDR + """
struct item { int price; };
static struct item *find(int k) { static struct item it; return k ? &it : NULL; }
int f(const char *s) { char *p = malloc(strlen(s) + 1); strcpy(p, s); puts(p); free(p);
  struct item *i = find(3); return i->price; }""")
    assert ("null-deref", "CWE-690") in bad
    good = rules(tmp_path, HDR + """
struct item { int price; };
static struct item *find(int k) { static struct item it; return k ? &it : NULL; }
int f(const char *s) { char *p = malloc(strlen(s) + 1); if (p == NULL) return -1; strcpy(p, s); puts(p);
  free(p); struct item *i = find(3); if (!i) return -1; return i->price; }""")
    assert not any(r == "null-deref" for r, _ in good)


OWN_HELPERS = """
typedef struct { int status; char name[16]; } person;
static void init(person *p) { p->status = 0; }
static void init_checked(person *p) { if (!p) return; p->status = 0; }
static void outer(person *p) { init(p); }
"""


@pytest.mark.parametrize("call", ["init(p)", "outer(p)"])
def test_an_own_function_that_dereferences_its_parameter_is_a_dereference(tmp_path, call):
    bad = rules(tmp_path, HDR + OWN_HELPERS + f"int f(void) {{ person *p = malloc(sizeof *p); {call}; free(p); return 0; }}")
    assert ("null-deref", "CWE-690") in bad


@pytest.mark.parametrize(
    "body", ["person *p = malloc(sizeof *p); init_checked(p);", "person *p = malloc(sizeof *p); if (!p) return 1; init(p);"]
)
def test_an_own_function_that_checks_or_a_checked_argument_is_not(tmp_path, body):
    good = rules(tmp_path, HDR + OWN_HELPERS + f"int f(void) {{ {body} free(p); return 0; }}")
    assert not any(r == "null-deref" for r, _ in good)


def test_null_check_after_the_dereference_does_not_help(tmp_path):
    bad = rules(tmp_path, HDR + "int f(void) { int *p = malloc(sizeof *p); *p = 1; if (p == NULL) return 0;"
                " int v = *p; free(p); return v; }")  # fmt: skip
    assert ("null-deref", "CWE-476") in bad


def test_use_after_free_through_alias_and_loop_and_double_free(tmp_path):
    bad = rules(tmp_path, HDR + """
void f(int n) { char *p = malloc(8); char *q = p; free(p); puts(q); }
void g(char **items, int n) { char *buf = malloc(8); for (int i = 0; i < n; i++) { strcpy(buf, items[i]); free(buf); } }
void h(char *s) { free(s); free(s); }""")
    assert {("use-after-free", "CWE-416"), ("double-free", "CWE-415")} <= bad
    good = rules(tmp_path, HDR + """
void f(int n) { char *p = malloc(8); if (!p) return; char *q = p; puts(q); free(p); }
void g(char **items, int n) { for (int i = 0; i < n; i++) { char *buf = malloc(8); if (!buf) return;
  strcpy(buf, items[i]); free(buf); } }
struct node { struct node *next; };
void h(struct node *t) { while (t != NULL) { struct node *next = t->next; free(t); t = next; } }""")
    assert not any(r in ("use-after-free", "double-free") for r, _ in good)


def test_a_member_call_through_a_deleted_pointer_is_a_use(tmp_path):
    job = "#include <iostream>\nstruct Job { int n; void print() const { std::cout << n; } };\n"
    bad = rules(tmp_path, job + "int main(int c, char **v) { Job *j = new Job{1}; if (c > 1) delete j; j->print(); return 0; }",
                "cpp")  # fmt: skip
    assert ("use-after-free", "CWE-416") in bad
    good = rules(tmp_path, job + "int main(int c, char **v) { Job *j = new Job{1}; j->print(); delete j; return 0; }", "cpp")
    assert not any(r == "use-after-free" for r, _ in good)


def test_a_pointer_copied_from_an_iterators_member_is_freed_with_it(tmp_path):
    # s = it->second; delete it->second: s points to the deleted object (and the other way round)
    table = "#include <map>\nstruct S { int n; };\nstd::map<int, S*> m;\n"
    head = "int f(int k) { auto it = m.find(k); if (it == m.end()) return 0; "
    for body in ("S *s = it->second; delete it->second; m.erase(it); return s->n; }",
                 "S *s = it->second; delete s; return it->second->n; }"):  # fmt: skip
        assert ("use-after-free", "CWE-416") in rules(tmp_path, table + head + body, "cpp"), body
    good = rules(tmp_path, table + head + "S *s = it->second; m.erase(it); int n = s->n; delete s; return n; }", "cpp")
    assert not any(r == "use-after-free" for r, _ in good)


def test_a_pointer_into_the_block_realloc_moved_is_stale(tmp_path):
    """realloc frees the old block when it succeeds: a pointer taken before it dangles; on the
    branch where it failed the old block is still there (and freeing it there is no double free)."""
    head = HDR + "int f(void) { char *buf = malloc(16); if (!buf) return 1; strcpy(buf, \"abc\"); "
    bad = rules(tmp_path, head + "char *start = buf; char *big = realloc(buf, 4096);"
                " if (!big) { free(buf); return 1; } puts(start); free(big); return 0; }")  # fmt: skip
    assert ("use-after-free", "CWE-416") in bad
    for body in ("char *big = realloc(buf, 4096); if (!big) { free(buf); return 1; } char *start = big;"
                 " puts(start); free(big); return 0; }",
                 "char *start = buf; char *big = realloc(buf, 4096); if (big == NULL) { puts(start); free(buf);"
                 " return 1; } free(big); return 0; }",
                 "buf = realloc(buf, 4096); if (!buf) return 1; puts(buf); free(buf); return 0; }"):  # fmt: skip
        good = rules(tmp_path, head + body)
        assert not any(r in ("use-after-free", "double-free") for r, _ in good), body


def test_a_field_freed_by_an_own_helper_is_freed_at_the_call(tmp_path):
    """close_conn(&c) frees c.buf when the helper frees c->buf and leaves it so; a helper that
    sets the field again after freeing it (to NULL, to a new block) leaves nothing dangling."""
    conn = HDR + "struct conn { char *buf; int fd; };\n"
    use = (" int main(void) { struct conn c; c.buf = malloc(32); if (!c.buf) return 1; strcpy(c.buf, \"hi\");"
           " close_conn(&c); printf(\"%s\\n\", c.buf); return 0; }")  # fmt: skip
    through_pointer = use.replace("struct conn c;", "struct conn s, *c = &s;").replace("c.buf", "c->buf").replace(
        "close_conn(&c)", "close_conn(c)")  # fmt: skip
    for code in (use, through_pointer):
        bad = rules(tmp_path, conn + "void close_conn(struct conn *c) { free(c->buf); }" + code)
        assert ("use-after-free", "CWE-416") in bad, code
    for helper in ("void close_conn(struct conn *c) { free(c->buf); c->buf = NULL; }",
                   "void close_conn(struct conn *c) { free(c->buf); c->buf = malloc(8); }",
                   # only on an error path: not what every call does
                   "void close_conn(struct conn *c) { if (c->fd < 0) { free(c->buf); return; } c->fd = 0; }"):  # fmt: skip
        good = rules(tmp_path, conn + helper + use)
        assert not any(r in ("use-after-free", "double-free") for r, _ in good), helper


def test_a_pointer_a_helper_keeps_in_a_global_is_freed_with_the_callers(tmp_path):
    """set_cache(v) stores v in a global: free(v) frees what the global points to; a helper that
    frees the global frees it for the caller too, unless it sets the global again after."""
    head = HDR + "static char *cache;\nvoid set_cache(char *v) { cache = v; }\n"
    bad = rules(tmp_path, head + "int main(void) { char *v = strdup(\"x\"); if (!v) return 1; set_cache(v);"
                " free(v); puts(cache); return 0; }")  # fmt: skip
    assert ("use-after-free", "CWE-416") in bad
    drop = "void drop_cache(void) { free(cache); %s}\n"
    body = "int main(void) { char *v = strdup(\"x\"); if (!v) return 1; set_cache(v); drop_cache(); puts(v); return 0; }"
    assert ("use-after-free", "CWE-416") in rules(tmp_path, head + drop % "" + body)
    assert ("use-after-free", "CWE-416") in rules(tmp_path, head + drop % "cache = NULL; " + body)  # v still dangles
    good = rules(tmp_path, head + drop % "cache = NULL; " + body.replace("puts(v)", "puts(cache ? cache : \"-\")"))
    assert not any(r in ("use-after-free", "double-free") for r, _ in good)
    good = rules(tmp_path, head + "int main(void) { char *v = strdup(\"x\"); if (!v) return 1; set_cache(v);"
                 " puts(cache); free(v); cache = NULL; return 0; }")  # fmt: skip
    assert not any(r in ("use-after-free", "double-free") for r, _ in good)


def test_free_in_own_helper_and_dangling_caller_pointer(tmp_path):
    bad = rules(tmp_path, HDR + """
struct conn { char *peer; int n; };
static void close_conn(struct conn *c) { free(c->peer); free(c); }
int quit(struct conn *c) { close_conn(c); return c->n; }
long grow(char **buf, size_t n) { char *b = realloc(*buf, n); if (!b) { free(*buf); return -1; } *buf = b; return 0; }""")
    assert {("use-after-free", "CWE-416"), ("double-free", "CWE-415")} <= bad
    good = rules(tmp_path, HDR + """
long grow(char **buf, size_t n) { char *b = realloc(*buf, n); if (!b) { free(*buf); *buf = NULL; return -1; }
  *buf = b; return 0; }""")
    assert not good


def test_command_injection_from_input_and_parameters(tmp_path):
    bad = rules(tmp_path, HDR + """
int main(void) { char cmd[100] = "ls "; size_t n = strlen(cmd);
  if (fgets(cmd + n, (int)(100 - n), stdin) == NULL) return 1; return system(cmd); }
int run(const char *name) { char cmd[64]; snprintf(cmd, sizeof cmd, "cat '%s'", name); return system(cmd); }
int env(void) { char *e = getenv("DIR"); if (!e) return 1;
  return execl("/bin/sh", "sh", "-c", e, (char *)NULL); }""")
    assert ("command-injection", "CWE-78") in bad
    good = rules(tmp_path, HDR + """#include <ctype.h>
int run(const char *name) { for (const char *c = name; *c; c++) if (!isalnum((unsigned char)*c)) return 1;
  char cmd[64]; snprintf(cmd, sizeof cmd, "cat %s", name); return system(cmd); }
int copy(const char *name) { return execlp("cp", "cp", "--", name, "/tmp/x", (char *)NULL); }
int fixed(void) { char cmd[32] = "ls "; strcat(cmd, "-l"); return system(cmd); }
int positional(void) { char *e = getenv("DIR"); if (!e) return 1;
  return execl("/bin/sh", "sh", "-c", "ls -- \"$1\"", "sh", e, (char *)NULL); }""")
    assert not good


def test_path_injection_needs_a_real_traversal_check(tmp_path):
    bad = rules(tmp_path, HDR + """
FILE *open_note(const char *title) { char path[256];
  if (title[0] == '/') return NULL;  /* only absolute paths rejected: "../x" still escapes */
  snprintf(path, sizeof path, "notes/%s.txt", title); return fopen(path, "r"); }""")
    assert ("path-injection", "CWE-22") in bad
    good = rules(tmp_path, HDR + """#include <limits.h>
FILE *open_note(const char *title) { char path[256];
  if (strchr(title, '/') || strstr(title, "..")) return NULL;
  snprintf(path, sizeof path, "notes/%s.txt", title); return fopen(path, "r"); }
FILE *open_real(const char *name) { char path[PATH_MAX], real[PATH_MAX];
  snprintf(path, sizeof path, "/srv/%s", name); if (!realpath(path, real)) return NULL;
  if (strncmp(real, "/srv/", 5) != 0) return NULL; return fopen(real, "r"); }
FILE *plain(const char *path) { return fopen(path, "r"); }""")
    assert not good


def test_cpp_path_and_command_through_strings_and_streams(tmp_path):
    code = """#include <string>
#include <fstream>
#include <sstream>
#include <cstdlib>
std::string read_upload(const std::string& name) { std::ifstream in("uploads/" + name);
  std::stringstream s; s << in.rdbuf(); return s.str(); }
bool show_date(const std::string& secs) { std::ostringstream cmd; cmd << "date -d @" << secs;
  return std::system(cmd.str().c_str()) == 0; }
"""
    assert {("path-injection", "CWE-22"), ("command-injection", "CWE-78")} <= rules(tmp_path, code, "cpp")


def test_analyzer_runs_a_batch_in_a_child_process(tmp_path):
    a = get_analyzer("seccodegen-dataflow")
    assert a.available() and "libclang" in a.version()
    bad, good = tmp_path / "bad.c", tmp_path / "good.c"
    bad.write_text(HDR + "void f(void) { char *p = malloc(4); p[0] = 0; free(p); p[1] = 0; }")
    good.write_text(HDR + "void f(void) { char *p = malloc(4); if (!p) return; p[0] = 0; free(p); }")
    out = a.run([bad, good], "c", timeout=120)
    assert {c for f in out[bad] for c in f.cwe_ids} >= {"CWE-690", "CWE-416"}
    assert all(f.tool == "seccodegen-dataflow" and f.line for f in out[bad])
    assert good not in out


COPIERS = """
static char *copy1(const char *s) { return strdup(s); }
static char *copy3(const char *s) { char *p = malloc(strlen(s) + 1); if (!p) exit(1); strcpy(p, s); return p; }
"""


def test_an_own_function_returning_an_unchecked_allocation_may_return_null(tmp_path):
    bad = rules(tmp_path, HDR + COPIERS + "int f(const char *s) { char *c = copy1(s); c[0] = 'x'; free(c); return 0; }")
    assert ("null-deref", "CWE-690") in bad
    for body in ("char *c = copy3(s); c[0] = 'x';", "char *c = copy1(s); if (!c) return -1; c[0] = 'x';"):
        good = rules(tmp_path, HDR + COPIERS + f"int f(const char *s) {{ {body} free(c); return 0; }}")
        assert not any(r == "null-deref" for r, _ in good), body


FIELDS = "struct doc { char *title; int rev; };\n"


@pytest.mark.parametrize(
    "body",
    [
        "d->title = malloc(strlen(s) + 1); strcpy(d->title, s);",
        "d->title = malloc(8); d->title[0] = 0;",
        "d->title = strdup(s); char *t = d->title; t[0] = 'x';",  # through a copy of the field
    ],
)
def test_an_allocation_stored_in_a_field_may_be_null(tmp_path, body):
    bad = rules(tmp_path, HDR + FIELDS + f"int f(struct doc *d, const char *s) {{ {body} return 0; }}")
    assert ("null-deref", "CWE-690") in bad


@pytest.mark.parametrize(
    "body",
    [
        "d->title = malloc(strlen(s) + 1); if (!d->title) return -1; strcpy(d->title, s);",
        "d->title = malloc(strlen(s) + 1); if (d->title == NULL) { return -1; } strcpy(d->title, s);",
        "char *t = malloc(strlen(s) + 1); if (t == NULL) return -1; d->title = t; strcpy(d->title, s);",
        "d->title = malloc(8); d->title = \"fixed\"; d->rev = d->title[0];",  # assigned again
    ],
)
def test_a_checked_or_replaced_field_is_not(tmp_path, body):
    good = rules(tmp_path, HDR + FIELDS + f"int f(struct doc *d, const char *s) {{ {body} return 0; }}")
    assert not any(r == "null-deref" for r, _ in good), body


def test_realpath_counts_only_with_a_test_of_the_resolved_path(query_hits) -> None:
    """``../../etc/passwd`` resolves fine: realpath() and a NULL test of its result are no check;
    realpath() and a prefix comparison are (CodeQL's path-injection reports both)."""
    head = (
        "FILE *open_upload(const char *name) { char path[4096], real[4096];"
        ' snprintf(path, sizeof path, "/srv/files/%s", name);'
    )
    null_only = head + ' if (realpath(path, real) == NULL) return NULL; return fopen(real, "r"); }'
    assert [h.rule for h in query_hits("path-injection", null_only)] == ["path-injection"]
    returned = (
        "FILE *open_upload(const char *name) { char path[4096];"
        ' snprintf(path, sizeof path, "/srv/files/%s", name); char *r = realpath(path, NULL);'
        ' if (!r) return NULL; FILE *f = fopen(r, "r"); free(r); return f; }'
    )
    assert [h.rule for h in query_hits("path-injection", returned)] == ["path-injection"]
    prefix = (
        head + " if (realpath(path, real) == NULL) return NULL;"
        ' if (strncmp(real, "/srv/files/", 11) != 0) return NULL; return fopen(real, "r"); }'
    )
    assert query_hits("path-injection", prefix) == []
    both = head + ' if (!realpath(path, real) || strncmp(real, "/srv/files/", 11)) return NULL; return fopen(real, "r"); }'
    assert query_hits("path-injection", both) == []


@pytest.mark.parametrize(
    ("check", "flagged"),
    [
        ('if (strncmp(name, "..", 2) == 0) return NULL;', True),  # only a leading "..": a/../../x passes
        ('if (strstr(name, "..") != NULL) return NULL;', False),  # ".." anywhere
        ('if (strncmp(name, "..", 2) == 0 || strchr(name, \'/\')) return NULL;', False),  # and no '/'
    ],
)
def test_a_leading_dot_dot_test_alone_is_no_path_check(query_hits, check: str, flagged: bool) -> None:
    code = (
        "FILE *open_upload(const char *name) { char path[4096];"
        f' {check} snprintf(path, sizeof path, "/srv/files/%s", name); return fopen(path, "r"); }}'
    )
    assert bool(query_hits("path-injection", code)) is flagged


def test_a_leading_dot_dot_test_in_cpp_is_no_path_check(query_hits) -> None:
    head = "#include <filesystem>\n#include <fstream>\nstd::ifstream open_upload(const std::string& name) { "
    tail = ' return std::ifstream(std::filesystem::path("uploads") / name); }'
    assert query_hits("path-injection", head + 'if (name.rfind("..", 0) == 0) throw 1;' + tail, "cpp")
    assert not query_hits("path-injection", head + 'if (name.find("..") != std::string::npos) throw 1;' + tail, "cpp")


class _Broken:
    rule = "broken-query"
    languages = ("c", "cpp")

    def run(self, fn, language):
        raise RuntimeError("bug in a query")


def test_a_query_that_raises_leaves_the_others_hits_and_marks_the_file_incomplete(tmp_path, monkeypatch, capsys):
    import json

    from seccodegen.judge.analyzers.base import IncompleteFindings
    from seccodegen.judge.dataflow import batch
    from seccodegen.judge.dataflow.queries import QUERIES
    from seccodegen.judge.engine import _run_batch

    monkeypatch.setitem(QUERIES._items, "broken-query", _Broken)
    path = tmp_path / "t.c"
    path.write_text(HDR + "void f(void) { char *p = malloc(4); p[0] = 0; free(p); }")
    with pytest.raises(RuntimeError, match="bug in a query"):  # without a failures list it propagates
        run_queries(path, "c")
    failures: list[str] = []
    hits = run_queries(path, "c", failures=failures)
    assert "null-deref" in {h.rule for h in hits} and failures == [
        "broken-query in f(): RuntimeError: bug in a query"
    ]
    assert batch.main(["c", str(path)]) == 0
    recs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert recs[-1] == {"file": str(path), "failed": failures} and any(r.get("rule") == "null-deref" for r in recs)

    class Partial:  # what the analyzer returns for such a file
        name = "partial"

        def run(self, files, language, timeout, flags=()):
            return {files[0]: IncompleteFindings(["finding"], "query failed: broken-query in f()")}

    out = _run_batch(Partial(), [path, tmp_path / "other.c"], "c", (), 1.0)
    assert out[path] == ("error: query failed: broken-query in f()", ["finding"])
    assert out[tmp_path / "other.c"] == ("ok", [])


def test_analyzer_keeps_the_hits_of_a_file_whose_query_failed(tmp_path, monkeypatch):
    import json
    import subprocess

    from seccodegen.judge.analyzers import dataflow as analyzer_module
    from seccodegen.judge.analyzers.base import IncompleteFindings

    path = tmp_path / "t.c"
    path.write_text("int main(void) { return 0; }\n")
    hit = {"file": str(path), "rule": "null-deref", "cwe_ids": ["CWE-476"], "line": 1, "column": 2, "message": "m"}
    lines = [json.dumps(hit), json.dumps({"file": str(path), "failed": ["broken-query in f(): RuntimeError: x"]})]

    def fake_run_tool(argv, timeout, **kw):
        return subprocess.CompletedProcess(argv, 0, "\n".join(lines) + "\n", "")

    monkeypatch.setattr(analyzer_module, "run_tool", fake_run_tool)
    out = get_analyzer("seccodegen-dataflow").run([path], "c", timeout=10)
    assert isinstance(out[path], IncompleteFindings) and [f.rule for f in out[path]] == ["null-deref"]
    assert "broken-query in f()" in out[path].reason


def test_a_function_the_walk_raises_on_leaves_the_other_functions(tmp_path, monkeypatch):
    from seccodegen.judge.dataflow import interp

    real = interp.walk_function

    def walk(fn, *args):
        if fn.spelling == "g":
            raise ValueError("walk bug")
        return real(fn, *args)

    monkeypatch.setattr(interp, "walk_function", walk)
    path = tmp_path / "t.c"
    path.write_text(HDR + "void f(void) { char *p = malloc(4); p[0] = 0; free(p); }\nvoid g(void) {}\n")
    failures: list[str] = []
    assert "null-deref" in {h.rule for h in run_queries(path, "c", failures=failures)}
    assert set(failures) == {"walk of g(): ValueError: walk bug"}
    with pytest.raises(ValueError, match="walk bug"):
        run_queries(path, "c")


def test_a_prefix_compare_is_no_allow_list_for_the_rest_of_the_name(query_hits) -> None:
    code = (
        "int main(void) { char path[256]; const char *qs = getenv(\"QUERY_STRING\");"
        " if (qs == NULL || CHECK) return 0; strcpy(path, \"/var/www/\"); strncat(path, qs + 5, 200);"
        " FILE *f = fopen(path, \"r\"); if (f) fclose(f); return 0; }"
    )
    assert query_hits("path-injection", code.replace("CHECK", 'strncmp(qs, "file=", 5) != 0'))
    assert query_hits("path-injection", code.replace("CHECK", 'strcmp(qs, "file=a.txt") != 0')) == []
