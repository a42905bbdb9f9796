"""Input through the file's own functions, values a C++ reference call changes, and the facts
that must not stand in for a check (a pointer's NULL test, an index into a counter)."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

READ_INT = 'static int read_int(void) { int x = 0; if (scanf("%d", &x) != 1) return 0; return x; }\n'
GET_INDEX = 'static int get_index(int *out) { return scanf("%d", out) == 1; }\n'


def test_a_helper_that_returns_what_it_read_gives_its_callers_input(query_hits):
    bad = query_hits(
        "out-of-bounds",
        READ_INT + "int f(void) { int t[16] = {0}; int k = read_int(); t[k] = 1; return t[0]; }",
    )
    assert bad and "input (scanf)" in bad[0].message
    good = "int f(void) { int t[16] = {0}; int k = read_int(); if (k < 0 || k >= 16) return 0; t[k] = 1; return t[0]; }"
    assert query_hits("out-of-bounds", READ_INT + good) == []


def test_a_helper_that_returns_its_argument_is_not_a_source_of_its_own(query_hits):
    code = """static int parse(const char *s) { return atoi(s); }
int main(int argc, char **argv) { int t[4] = {0}; int a = argc > 1 ? parse(argv[1]) : 0;
  if (a < 0 || a > 3) return 1; int k = parse("2"); return t[k] + t[a]; }"""
    assert query_hits("out-of-bounds", code) == []  # parse("2") is a constant's parse, not input


def test_input_stored_through_a_pointer_parameter_reaches_the_caller(query_hits):
    bad = query_hits(
        "out-of-bounds",
        GET_INDEX
        + "int f(void) { static const int p[5] = {1}; int i; if (!get_index(&i)) return 1; return p[i]; }",
    )
    assert bad and "scanf" in bad[0].message
    fields = """struct req { int slot; };
static void parse_req(const char *arg, struct req *r) { r->slot = atoi(arg); }
static const char *names[4] = {"a", "b", "c", "d"};
int main(int argc, char **argv) { struct req r; if (argc < 2) return 1; parse_req(argv[1], &r);
  puts(names[r.slot]); return 0; }"""
    assert query_hits("out-of-bounds", fields)
    checked = fields.replace(
        "puts(names[r.slot])", "if (r.slot < 0 || r.slot >= 4) return 1; puts(names[r.slot])"
    )
    assert query_hits("out-of-bounds", checked) == []


def test_a_reference_argument_forgets_the_constant_the_variable_held(query_hits):
    code = "#include <iostream>\nint f() { int qty = 0, cents = 0; std::cin >> qty >> cents; if (qty < 0 || cents < 0) return 1;\n  return qty * cents; }"
    hits = query_hits("integer-overflow", code, "cpp")
    assert hits and "qty * cents" in hits[0].message  # a lower bound only: the product may still overflow
    own = "static void read_count(int &n) { std::cin >> n; }\nint g() { int t[8] = {}; int i = 0; read_count(i); return t[i]; }"
    assert query_hits("out-of-bounds", "#include <iostream>\n" + own, "cpp")


def test_a_pointer_tested_for_null_is_no_bound_on_the_string_it_points_into(query_hits):
    code = """int main(void) { char line[256], value[16];
  while (fgets(line, sizeof line, stdin)) { char *eq = strstr(line, "="); if (!eq) continue;
    strcpy(value, eq + 1); puts(value); } return 0; }"""
    assert query_hits("out-of-bounds", code)
    flag = """int f(const char *s) { char out[8]; int n = atoi(s); int ok = n >= 0 && n < 8; if (!ok) return 1;
  out[n] = 0; return out[0]; }"""
    assert query_hits("out-of-bounds", flag) == []  # a flag computed from the value still bounds it


def test_fread_count_from_the_data_into_a_fixed_buffer(query_hits):
    bad = """int f(FILE *fp) { unsigned short len; char payload[64];
  if (fread(&len, sizeof len, 1, fp) != 1) return -1; if (fread(payload, 1, len, fp) != len) return -1; return payload[0]; }"""
    assert query_hits("out-of-bounds", bad)
    assert query_hits("out-of-bounds", bad.replace("payload, 1, len", "payload, len, 1"))
    good = bad.replace("if (fread(payload", "if (len > sizeof payload) return -1; if (fread(payload")
    assert query_hits("out-of-bounds", good) == []
    whole = "int g(FILE *fp) { char b[64]; while (fread(b, sizeof b, 1, fp) == 1) puts(b); return 0; }"
    assert query_hits("out-of-bounds", whole) == []


def test_an_exec_of_an_argument_list_runs_the_program_the_list_names(query_hits):
    shell = """int main(int argc, char **argv) { char cmd[256]; if (argc < 2) return 1;
  snprintf(cmd, sizeof cmd, "grep -c x %s", argv[1]); char *a[] = {"/bin/sh", "-c", cmd, NULL};
  execvp(a[0], a); return 1; }"""
    assert query_hits("command-injection", "#include <unistd.h>\n" + shell)
    plain = """int main(int argc, char **argv) { if (argc < 2) return 1;
  char *a[] = {"grep", "-c", "x", "--", argv[1], NULL}; execvp(a[0], a); return 1; }"""
    assert query_hits("command-injection", "#include <unistd.h>\n" + plain) == []
    changed = plain.replace("execvp(a[0], a)", "a[0] = argv[1]; execvp(a[0], a)")
    assert query_hits("command-injection", "#include <unistd.h>\n" + changed)


def test_a_field_set_to_a_pointer_is_freed_with_it(query_hits):
    code = """struct doc { char *title; };
int f(const char *s) { struct doc d; char *t = strdup(s); if (!t) return 1; d.title = t; free(t);
  return puts(d.title); }"""
    assert query_hits("use-after-free", code)
    assert (
        query_hits(
            "use-after-free",
            code.replace("free(t);\n  return puts(d.title);", "puts(d.title); free(t); return 0;"),
        )
        == []
    )


def test_an_element_chosen_by_input_is_not_input_arithmetic(query_hits):
    code = 'int f(void) { int counts[16] = {0}; int k; if (scanf("%d", &k) != 1) return 1; counts[k] += 1; return counts[0]; }'
    assert query_hits("integer-overflow", code) == []
    summed = 'int g(void) { int v; int t = 0; while (scanf("%d", &v) == 1) { int x = v; t += x; } return t; }'
    assert query_hits("integer-overflow", summed)


def test_an_element_read_into_by_a_stream_is_written_and_a_constant_bound_holds(query_hits):
    code = "#include <iostream>\nint f() { int s[10]; int n = 0; std::cin >> n; for (int i = 0; i < n; ++i) std::cin >> s[i]; return s[0]; }"
    (hit,) = query_hits("out-of-bounds", code, "cpp")
    assert hit.cwe_ids == ("CWE-787",)  # a write, not a read
    both = "#include <iostream>\nint f() { int s[10] = {}; int n = 0; std::cin >> n; int b = 0;\n  for (int i = 0; i < n && i < 10; ++i) b += s[i]; return b; }"
    assert query_hits("out-of-bounds", both, "cpp") == []


def test_a_strings_copy_into_an_array_is_sized_and_bounds_what_it_returns(query_hits):
    code = "#include <iostream>\nint f() { std::string w; std::cin >> w; char b[12]; std::size_t n = w.copy(b, w.size()); b[n] = 0; return b[0]; }"
    assert query_hits("out-of-bounds", code, "cpp")
    fixed = code.replace("w.copy(b, w.size())", "w.copy(b, sizeof b - 1)")
    assert query_hits("out-of-bounds", fixed, "cpp") == []


def test_a_count_read_through_a_pointer_sizes_an_allocation(query_hits):
    code = """struct item { int id; char name[60]; };
struct item *load(FILE *f, unsigned *count) { if (fread(count, sizeof *count, 1, f) != 1) return NULL;
  return malloc(*count * sizeof(struct item)); }"""
    assert query_hits("uncontrolled-allocation-size", code)
    fixed = code.replace("return malloc", "if (*count > 1000) return NULL; return malloc")
    assert query_hits("uncontrolled-allocation-size", fixed) == []


def test_a_write_at_the_count_a_block_was_allocated_with(query_hits):
    code = "char *rep(char c, size_t n) { char *p = malloc(n); if (!p) return NULL; memset(p, c, n); p[n] = 0; return p; }"
    assert query_hits("off-by-one-bound", code)
    assert query_hits("off-by-one-bound", code.replace("malloc(n)", "malloc(n + 1)")) == []
    moved = code.replace("p[n] = 0;", "n = n - 1; p[n] = 0;")  # the count changed: no longer the block's
    assert query_hits("off-by-one-bound", moved) == []


def test_new_char_of_a_strings_length_has_no_room_for_the_terminator(query_hits):
    code = "char *dup(const char *s) { char *p = new char[std::strlen(s)]; std::strcpy(p, s); return p; }"
    assert query_hits("allocation-too-small", code, "cpp")
    assert query_hits("allocation-too-small", code.replace("strlen(s)]", "strlen(s) + 1]"), "cpp") == []


def test_returning_a_reference_to_a_local(query_hits):
    code = 'const std::string &greet(const std::string &n) { std::string s = "hi " + n; return s; }'
    assert query_hits("dangling-pointer", code, "cpp")
    assert (
        query_hits("dangling-pointer", code.replace("const std::string &greet", "std::string greet"), "cpp")
        == []
    )
    member = "struct A { std::string name; const std::string &get() const { return name; } };"
    assert query_hits("dangling-pointer", member, "cpp") == []


@pytest.mark.parametrize(
    ("code", "language"),
    [
        (
            "int f(void) { int n[256] = {0}; char l[64]; while (fgets(l, sizeof l, stdin)) for (int i = 0; l[i]; i++) n[l[i]]++; return n[0]; }",
            "c",
        ),
        (
            "int f() { int n[256] = {}; std::string s; std::getline(std::cin, s); for (std::size_t i = 0; i < s.size(); ++i) n[s[i]]++; return n[0]; }",
            "cpp",
        ),
    ],
)
def test_a_character_of_the_input_as_an_index_may_be_negative(query_hits, code, language):
    code = ("#include <iostream>\n" if language == "cpp" else "") + code
    (hit,) = query_hits("out-of-bounds", code, language)
    assert "may be negative" in hit.message and hit.cwe_ids == ("CWE-129", "CWE-787")
    cast = code.replace("n[l[i]]", "n[(unsigned char)l[i]]").replace(
        "n[s[i]]", "n[static_cast<unsigned char>(s[i])]"
    )
    assert query_hits("out-of-bounds", cast, language) == []


def test_only_every_checked_input_operand_clears_a_product(query_hits):
    code = 'int f(void) { int p, q; if (scanf("%d %d", &p, &q) != 2) return 1; if (q <= 0 || q > 1000) return 1; return p * q; }'
    (hit,) = query_hits("integer-overflow", code)
    assert "'p' is input" in hit.message
    both = code.replace("return p * q;", "if (p < 0 || p > 1000) return 1; return p * q;")
    assert query_hits("integer-overflow", both) == []


def test_an_index_clamped_where_it_is_used(query_hits):
    code = "int f(int fd) { char b[16]; unsigned char raw[64]; if (read(fd, raw, sizeof raw) < 1) return 1; int n = raw[0];\n  b[n < 16 ? n : 15] = 0; return b[0]; }"
    assert query_hits("out-of-bounds", "#include <unistd.h>\n" + code) == []
    assert query_hits("out-of-bounds", "#include <unistd.h>\n" + code.replace("n < 16 ? n : 15", "n"))


def test_a_constant_field_beside_an_input_field_is_no_input_index(query_hits):
    code = """struct rec { int id; char name[32]; };
static const char *t[4] = {"a", "b", "c", "d"};
int main(int argc, char **argv) { struct rec r; if (argc < 2) return 1; r.id = 2; strncpy(r.name, argv[1], 31);
  return puts(t[r.id]); }"""
    assert query_hits("out-of-bounds", code) == []
    assert query_hits("out-of-bounds", code.replace("r.id = 2;", "r.id = atoi(argv[1]);"))


def test_a_copy_of_one_more_than_a_loosely_checked_length(query_hits):
    code = "int f(const char *s) { char b[64]; size_t n = strlen(s); if (n > sizeof b) return -1; memcpy(b, s, n + 1); return b[0]; }"
    (hit,) = query_hits("off-by-one-bound", code)
    assert "up to 65 bytes" in hit.message
    assert query_hits("off-by-one-bound", code.replace("n > sizeof b", "n >= sizeof b")) == []
    assert query_hits("off-by-one-bound", code.replace("n + 1", "n")) == []


@pytest.mark.parametrize(
    "check",
    ["if (strlen(s) > sizeof b) return -1;", "size_t n = strlen(s); if (n > 16) return -1;"],
)
def test_a_string_copy_after_a_length_check_that_lets_it_fill_the_array(query_hits, check):
    code = f"int f(const char *s) {{ char b[16]; {check} strcpy(b, s); return b[0]; }}"
    (hit,) = query_hits("off-by-one-bound", code)
    assert "17 bytes" in hit.message
    strict = code.replace("> sizeof b", ">= sizeof b").replace("n > 16", "n >= 16")
    assert query_hits("off-by-one-bound", strict) == []


def test_a_field_freed_by_one_helper_and_again_by_another(query_hits) -> None:
    code = (
        "struct config { char *path; int verbose; };\n"
        "static void config_free(struct config *c) { free(c->path); free(c); }\n"
        "static void disable(struct config *c) { free(c->path); CLEAR c->verbose = 0; }\n"
        "int main(void) { struct config *c = calloc(1, sizeof *c); if (!c) return 1; c->path = malloc(8);"
        " if (getenv(\"X\")) disable(c); config_free(c); return 0; }"
    )
    found = query_hits("use-after-free", code.replace("CLEAR", ""))
    assert [h.rule for h in found] == ["double-free"]
    assert query_hits("use-after-free", code.replace("CLEAR", "c->path = NULL;")) == []


def test_a_constructors_member_initializers_are_walked(query_hits) -> None:
    code = (
        "#include <cstdlib>\n"
        "class Pool { public: Pool(unsigned count, unsigned size) : data_(new char[count * size]) {} char *data_; };\n"
        "int main() { const char *a = std::getenv(\"A\"); unsigned n = a ? (unsigned)std::strtoul(a, nullptr, 10) : 4;"
        " Pool p(n, n); return p.data_ != nullptr; }"
    )
    assert query_hits("integer-overflow", code, "cpp")


def test_a_free_two_helpers_deep_is_followed(query_hits) -> None:
    code = (
        "struct item { char *name; int n; };\n"
        "static void item_free(struct item *it) { free(it->name); free(it); }\n"
        "static void remove_item(struct item *it) { fprintf(stderr, \"%s\\n\", it->name); item_free(it); }\n"
        "int f(struct item *it) { if (it->n <= 0) { ORDER } return 0; }"
    )
    used_after = query_hits("use-after-free", code.replace("ORDER", "remove_item(it); puts(it->name);"))
    assert used_after and "freed" in used_after[0].message
    assert query_hits("use-after-free", code.replace("ORDER", "puts(it->name); remove_item(it);")) == []


def test_an_element_of_a_read_only_table_carries_no_argument(query_hits) -> None:
    code = """typedef struct { const char *name; const char *unit; } svc_t;
static const svc_t services[] = { {"web", "nginx"}, {"db", "postgres"} };
static char last[64];
static const svc_t *lookup_service(const char *name) {
    for (unsigned i = 0; i < 2; i++) if (strcmp(services[i].name, name) == 0) return &services[i];
    return NULL; }
static const char *remember(const char *name) { strncpy(last, name, 63); return last; }
static int restart(const char *name) { char cmd[128];
    USE
    return system(cmd); }
int main(void) { const char *name = getenv("SERVICE"); return name ? restart(name) : 1; }"""
    table = 'const svc_t *s = lookup_service(name); if (s == NULL) return 1; snprintf(cmd, sizeof cmd, "restart %s", s->unit);'
    assert query_hits("command-injection", code.replace("USE", table)) == []
    buffer = 'snprintf(cmd, sizeof cmd, "restart %s", remember(name));'  # a static buffer the input fills
    assert query_hits("command-injection", code.replace("USE", buffer))
