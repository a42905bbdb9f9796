"""seccodegen-checks on snippets it used to get wrong: bounded copies, constant products, comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccodegen.judge.analyzers.source_checks import SourceChecks, _check_function

pytest.importorskip("tree_sitter_c")


def rules(body: str, params: tuple[str, ...] = ()) -> list[str]:
    return [rule for _, rule, _, _ in _check_function(list(params), body)]


def test_a_product_of_constants_or_behind_a_limit_check_is_not_flagged() -> None:
    from_input = '{ short data = 0; fscanf(stdin, "%hd", &data); short result = data * data; }'
    assert rules(from_input) == ["narrow-size-multiplication"]
    assert rules("{ int w, h; w = 4; h = 2; int area = w * h; }") == []  # only ever assigned literals
    assert rules("{ int cells = ROWS * COLS; }") == []  # macros
    guarded = (
        '{ short data = 0; fscanf(stdin, "%hd", &data);'
        " if (abs((long)data) <= (long)sqrt((double)SHRT_MAX)) { short result = data * data; } }"
    )
    assert rules(guarded) == []  # any *_MAX limit is an overflow guard, not only INT_MAX & co.
    assert rules("{ int n = rows * cols; }", ("rows", "cols")) == ["narrow-size-multiplication"]
    # every factor compared with a literal small enough that the product fits an int
    bounded = "{ int items = atoi(s); if (items < 0 || items > 1000000) return 1; int bytes = items * 16; }"
    assert rules(bounded, ("s",)) == []
    too_large = "{ int items = atoi(s); if (items < 0 || items > 1000000000) return 1; int bytes = items * 16; }"
    assert rules(too_large, ("s",)) == ["narrow-size-multiplication"]
    lower_only = "{ int items = atoi(s); if (items < 0) return 1; int bytes = items * 16; }"  # 0 bounds nothing above
    assert "narrow-size-multiplication" in rules(lower_only, ("s",))
    pixels = "{ int w, h; std::cin >> w >> h; %s int *p = new int[w * h]; }"
    assert rules(pixels % "if (w <= 0 || h <= 0 || w > 10000 || h > 10000) return 1;") == []
    assert rules(pixels % "") == ["narrow-size-multiplication"]


@pytest.mark.parametrize(
    "product",
    ["(long long)w * h", "(size_t)w * h", "static_cast<long long>(w) * h", "1LL * w * h", "(uint64_t) w * h"],
)
def test_a_factor_widened_first_makes_a_wide_product(product: str) -> None:
    """A product whose first factor is converted to 64 bits is computed in 64 bits: no narrow one."""
    body = "{ int w, h; scanf(\"%%d %%d\", &w, &h); long long pixels = %s; char *p = malloc(%s); }"
    assert "narrow-size-multiplication" in rules(body % ("w * h", "w * h"))
    assert "narrow-size-multiplication" not in rules(body % (product, product))


def test_an_allocation_size_with_a_size_t_operand_is_not_narrow() -> None:
    """``times`` converts to ``size_t`` when multiplied by a ``size_t`` length: no narrow product."""
    narrow = "{ int len = strlen(s); char *r = malloc(len * times + 1); }"
    assert rules(narrow, ("s", "times")) == ["narrow-size-multiplication"]
    assert rules(narrow.replace("int len", "size_t len"), ("s", "times")) == []
    assert rules("{ char *r = malloc(strlen(s) * times + 1); }", ("s", "times")) == []
    assert rules("{ char *b = new char[pattern.size() * times]; }", ("pattern", "times")) == []
    assert rules("{ char *r = malloc(count * times + 1); }", ("count", "times")) == ["narrow-size-multiplication"]


def test_a_copy_of_a_literal_or_of_a_local_array_is_not_unbounded() -> None:
    assert rules("{ char source[100]; memset(source, 67, 99); source[99] = 0; strcpy(data, source); }") == []
    assert rules('{ strcpy(out, "none"); strcat(out, ","); }', ("out",)) == []
    assert rules("{ strcpy(out, name); }", ("out", "name")) == ["unbounded-copy"]
    assert rules('{ char tmp[8]; sprintf(tmp, "%s", name); }', ("name",)) == ["unbounded-copy"]


def test_a_conversion_range_checked_at_both_ends_is_not_unvalidated() -> None:
    rule = "unvalidated-number-parameter"
    assert rules("{ return atoi(text); }", ("text",)) == [rule]
    assert rules("{ int port = atoi(text); if (port <= 0) return -1; return port; }", ("text",)) == [rule]
    # both ends: the conversion yields only values the check allows ("80abc" read as 80 is leniency)
    assert rules("{ int port = atoi(text); if (port < 1 || port > 65535) return -1; return port; }", ("text",)) == []
    two_checks = "{ long amount = atol(text); if (amount <= 0) return -1; if (*balance < amount) return -1; }"
    assert rules(two_checks, ("text", "balance")) == []
    # a member of the same name, or an arrow, is not the value
    arrows = "{ long n = std::stol(s); if (p->n > 3 && q.n < 2) return 1; return n; }"
    assert rules(arrows, ("s",)) == [rule]


def test_a_number_read_from_a_string_stream_of_a_parameter_is_a_conversion() -> None:
    rule = "unvalidated-number-parameter"
    named = "{ long q; std::istringstream in(text); if (!(in >> q)) return -1; %s return q * 50; }"
    assert rules(named % "", ("text",)) == [rule]
    assert rules(named % "if (q <= 0) return -1;", ("text",)) == [rule]  # one end: q * 50 may overflow
    assert rules(named % "if (q <= 0 || q > 1000) return -1;", ("text",)) == []
    temporary = "{ long q; if (!(std::istringstream(text) >> q)) return -1; return q; }"
    assert rules(temporary, ("text",)) == [rule]
    # two values read in one statement: each must be checked
    pair = "{ int w, h; std::stringstream s(dims); s >> w >> h; if (w < 1 || w > 9) return 0; %s return w * h; }"
    assert rules(pair % "", ("dims",)) == [rule]
    assert rules(pair % "if (h < 1 || h > 9) return 0;", ("dims",)) == []
    # a word read from the stream is no number; a stream of another text is not the parameter's
    assert rules("{ std::string w; std::istringstream in(text); in >> w; return w; }", ("text",)) == []
    assert rules("{ int n; std::istringstream in(line); in >> n; return n; }", ("text",)) == []
    # sscanf and the strtol family convert too
    assert rules('{ long q; if (sscanf(text.c_str(), "%ld", &q) != 1) return -1; return q * 50; }', ("text",)) == [rule]
    assert rules('{ int r, c; sscanf(arg, "%d,%d", &r, &c); if (r < 0 || r > 3) return 0; return r + c; }', ("arg",)) == [rule]
    ranged = '{ int r, c; sscanf(arg, "%d,%d", &r, &c); if (r < 0 || r > 3 || c < 0 || c > 5) return 0; return r + c; }'
    assert rules(ranged, ("arg",)) == []
    strtoul = "{ char *end; unsigned long port = strtoul(text, &end, 10); if (*end || port > 65535) return -1; return port; }"
    assert rules(strtoul, ("text",)) == [rule]  # port 0 passes
    assert rules(strtoul.replace("port > 65535", "port < 1 || port > 65535"), ("text",)) == []
    assert rules("{ return strtol(text, NULL, 10); }", ("text",)) == [rule]
    # a value used at once is checked where the call is compared at both ends
    inline = "{ if (%s(text%s) < 1 || %s(text%s) > 65535) return -1; return atoi(text); }"
    assert rules(inline % ("strtol", ", NULL, 10", "strtol", ", NULL, 10"), ("text",)) == [rule]  # atoi unchecked
    assert rules("{ if (atoi(text) >= 1 && atoi(text) <= 65535) return atoi(text); return -1; }", ("text",)) == []
    assert rules("{ if (strtol(text, 0, 10) < 1 || strtol(text, 0, 10) > 9) return -1; return 0; }", ("text",)) == []
    assert rules("{ if (atoi(text) > 0) return atoi(text); return -1; }", ("text",)) == [rule]
    # a C++ string converted through c_str()
    assert rules("{ int q = std::atoi(text.c_str()); return q * 50; }", ("text",)) == [rule]
    assert rules("{ long q = strtol(text.c_str(), nullptr, 10); if (q < 1 || q > 9) return 0; return q; }", ("text",)) == []
    assert rules("{ long q = strtol(textual, nullptr, 10); return q; }", ("text",)) == []
    # a local copy of the parameter's text is the same text
    copied = "{ std::string s = text; long q; std::stringstream in(s); if (!(in >> q)) return -1; %s return q * 50; }"
    assert rules(copied % "", ("text",)) == [rule]
    assert rules(copied % "if (q < 1 || q > 99) return -1;", ("text",)) == []
    assert rules("{ const char *p = text; return atoi(p); }", ("text",)) == [rule]
    # std::stol's position argument rejects trailing text, not "-5"; stoi without std:: is the same call
    positioned = "{ std::size_t pos = 0; long q = std::stol(text, &pos); if (pos != text.size() %s) return -1; return q; }"
    assert rules(positioned % "|| q < 0", ("text",)) == [rule]
    assert rules(positioned % "|| q < 1 || q > 99", ("text",)) == []
    assert rules("{ int n = stoi(text); return n * 4; }", ("text",)) == [rule]
    assert rules("{ int n = parser.stoi(text); return n * 4; }", ("text",)) == []
    # `!in >> q` shifts the negated stream by q: nothing is read (q stays uninitialised)
    assert rules("{ long q; std::istringstream in(text); if (!in >> q) return -1; return q; }", ("text",)) == []


def test_comments_neither_guard_nor_split_statements(tmp_path: Path) -> None:
    source = tmp_path / "t.c"
    source.write_text(
        "int open_spool(const char *path) {\n"
        "    /* other users' tools read it */\n"  # the apostrophe used to open a "string"
        "    return chmod(path, 0777);\n}\n"
        "short square(void) {\n"
        '    short d = 0; scanf("%hd", &d);\n'
        "    /* d * d > SHRT_MAX overflows */\n"  # a limit named in a comment guards nothing
        "    short r = d * d;\n    return r;\n}\n"
    )
    found = SourceChecks().run([source], "c", 60.0)[source]
    assert sorted((f.rule, f.line) for f in found) == [
        ("narrow-size-multiplication", 8),
        ("world-writable-permissions", 3),
    ]


def test_html_built_up_over_several_statements() -> None:
    page = '{ std::string html = "<html><body>"; html += "Welcome, " + name + "!"; return html; }'
    assert rules(page, ("name",)) == ["html-built-from-input"]
    assert rules('{ std::string h = "<p>"; h.append(name); return h; }', ("name",)) == ["html-built-from-input"]
    # numbers, escaped values and literals are not input in the page
    assert rules('{ std::string h = "<p>"; h += "n=" + std::to_string(n); h += "</p>"; return h; }', ("n",)) == []
    assert rules('{ std::string h = "<p>"; h += escape_html(name); return h; }', ("name",)) == []
    # a string without tags is not HTML
    assert rules('{ std::string s = "Hello"; s += name; return s; }', ("name",)) == []


def test_a_path_counts_as_built_from_a_parameter_only_where_it_reaches_the_file_call() -> None:
    rule = "path-from-input"
    # the file name is fixed; the parameter is only written into the file
    logged = '{ FILE *f = fopen("/tmp/app.log", "a"); if (!f) return; fprintf(f, "%s\\n", msg); fclose(f); }'
    assert rule not in rules(logged, ("msg",))
    assert rule in rules('{ FILE *f = fopen(path, "r"); fclose(f); }', ("path",))
    joined = '{ char full[256]; snprintf(full, sizeof full, "%s/%s", dir, name); return open(full, 0); }'
    assert rule in rules(joined, ("dir", "name"))
    other = '{ char note[64]; snprintf(note, sizeof note, "%s", name); return open("/etc/x", 0); }'
    # each character tested against an allow-list (through a pointer walking the name): no '/' or '.'
    allowed = (
        "{ char p[256]; for (const char *c = name; *c; c++) if (!isalnum((unsigned char)*c)) return -1;"
        ' snprintf(p, sizeof p, "/data/%s.txt", name); return open(p, 0); }'
    )
    assert rule not in rules(allowed, ("name",))
    # a base folder and a name joined: every parameter in the path must be inspected (a lenient
    # inspection of one, such as finding its last '/', would otherwise excuse the other)
    zipped = '{ char out[512]; %s snprintf(out, sizeof out, "%%s/%%s", dir, name); return open(out, 0); }'
    assert rule in rules(zipped % 'if (strstr(name, "..")) return -1;', ("dir", "name"))
    assert rule not in rules(zipped % 'if (strstr(name, "..") || strstr(dir, "..")) return -1;', ("dir", "name"))
    assert rule not in rules(other, ("name",))  # the parameter went into a buffer the call does not use
    # the parameter's name inside the path literal is no use of the parameter: a fixed file is opened
    assert rule not in rules('{ FILE *f = fopen(CACHE_DIR "/<key>", "w"); if (!f) return -1; fclose(f); return 0; }', ("key",))
    assert rule in rules('{ char p[64]; snprintf(p, sizeof p, "cache/%s", key); return unlink(p); }', ("key",))


def test_sql_formatted_by_sqlite3_mprintf_and_run_by_get_table() -> None:
    run = "sqlite3_get_table(db, sql, &rows, &nrow, &ncol, NULL); sqlite3_free(sql); return 0; }"
    unescaped = '{ char *sql = sqlite3_mprintf("SELECT email FROM users WHERE name = \'%s\';", name); '
    escaped = '{ char *sql = sqlite3_mprintf("SELECT email FROM users WHERE name = \'%q\';", name); '
    assert rules(unescaped + run, ("db", "name")) == ["sql-built-from-input"]
    assert rules(escaped + run, ("db", "name")) == []  # %q doubles the quotes: sqlite's escaping


def test_a_message_that_mentions_an_sql_keyword_is_no_sql() -> None:
    bound = '{ int rc = sqlite3_exec(db, "DELETE FROM orders WHERE id = ?", NULL, NULL, NULL); '
    message = 'if (rc != SQLITE_OK) { fprintf(stderr, "Failed to delete order %s: %s\\n", id, "x"); } return rc; }'
    assert rules(bound + message, ("db", "id")) == []
    failed = '{ sqlite3_exec(db, "SELECT 1", NULL, NULL, NULL); printf("SELECT failed: %s\\n", id); return 0; }'
    assert rules(failed, ("db", "id")) == []
    message = '{ if (sqlite3_prepare_v2(db, "SELECT 1", -1, &st, 0)) std::cerr << "insert failed: " << id; return 0; }'
    assert rules(message, ("db", "id")) == []  # a message that starts with a keyword in lower case
    # SQL text with a statement's structure, or a fragment continued by a value, still is
    built = '{ char q[256]; sprintf(q, "DELETE FROM orders WHERE id = %s", id); return sqlite3_exec(db, q, 0, 0, 0); }'
    assert "sql-built-from-input" in rules(built, ("db", "id"))  # (and an unbounded sprintf)
    fragment = '{ std::string q = "SELECT " + col + " FROM t"; return sqlite3_exec(db, q.c_str(), 0, 0, 0); }'
    assert rules(fragment, ("db", "col")) == ["sql-built-from-input"]


def test_factors_checked_against_the_files_macros_and_a_checked_total() -> None:
    from seccodegen.judge.analyzers.integer_text import define_values

    macros = define_values(b"#define MAX_DIM 8192\n#define HUGE 100000\n")
    body = "{ int w = atoi(a); int h = atoi(b); if (w > %s || h > %s) return 1; int pixels = w * h; }"
    checked = [r for _, r, _, _ in _check_function(["a", "b"], body % ("MAX_DIM", "MAX_DIM"), "f", True, macros)]
    assert "narrow-size-multiplication" not in checked  # 8192 * 8192 fits an int
    too_large = [r for _, r, _, _ in _check_function(["a", "b"], body % ("HUGE", "HUGE"), "f", True, macros)]
    assert "narrow-size-multiplication" in too_large
    # an int total that a comparison reads before it grows is checked
    loop = "{ int total = 0; int v; while (scanf(\"%d\", &v) == 1) { CHECK total += v; } return total; }"
    assert rules(loop.replace("CHECK", "")) == ["int-accumulator"]
    assert rules(loop.replace("CHECK", "if (v <= 0 || v > LIMIT - total) return -1;")) == []


def test_a_path_kept_inside_its_folder_by_lexically_relative() -> None:
    body = (
        "{ fs::path p = (kDir / name).lexically_normal(); %s std::ifstream in(p); return in.good(); }"
    )
    assert rules(body % "", ("name",)) == ["path-from-input"]
    check = 'fs::path rel = p.lexically_relative(kDir); if (rel.empty() || *rel.begin() == "..") return false;'
    assert rules(body % check, ("name",)) == []


def test_limits_written_as_literal_expressions() -> None:
    from seccodegen.judge.analyzers.integer_text import define_values

    macros = define_values(
        b"#define MAX_DIM (1u << 13)\n#define HUGE 100 * 1000\n#define MASK (1 << 4) - 1\n"
        b"#define OCT 010\n#define BAD (1 << 99)\nconst uint32_t MAX_ITEMS = 1u << 20;\n"
    )
    assert macros == {"MAX_DIM": 8192, "HUGE": 100000, "MASK": 15, "OCT": 8, "MAX_ITEMS": 1 << 20}
    body = "{ int w = atoi(a); int h = atoi(b); if (w > %s || h > %s) return 1; int pixels = w * h; }"
    checked = [r for _, r, _, _ in _check_function(["a", "b"], body % ("MAX_DIM", "MAX_DIM"), "f", True, macros)]
    assert "narrow-size-multiplication" not in checked  # (1u << 13) squared fits an int
    too_large = [r for _, r, _, _ in _check_function(["a", "b"], body % ("MAX_ITEMS", "MAX_ITEMS"), "f", True, macros)]
    assert "narrow-size-multiplication" in too_large


def test_a_command_formatted_from_numbers_only() -> None:
    from seccodegen.judge.analyzers.format_text import built_from_numbers, text_arguments

    assert text_arguments("sn", ' sizeof cmd, "ls %s | tail -n +%ld %.*s", LOG_DIR, keep + 1, 3, name') == ["LOG_DIR", "name"]
    body = '{ char cmd[256]; long keep = strtol(a, 0, 10); snprintf(cmd, sizeof cmd, FORMAT); return system(cmd); }'
    numbers = body.replace("FORMAT", '"ls %s | tail -n +%ld", LOG_DIR, keep + 1')
    assert built_from_numbers("cmd", numbers)
    assert "shell-command-from-input" not in rules(numbers, ("a",))
    text = body.replace("FORMAT", '"ls %s | tail -n +%s", LOG_DIR, a')
    assert not built_from_numbers("cmd", text)
    assert "shell-command-from-input" in rules(text, ("a",))


def test_sql_text_started_with_strcpy_and_extended_with_strcat() -> None:
    run = "if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;"
    built = (
        '{ char sql[512]; sqlite3_stmt *st; strcpy(sql, "SELECT title FROM posts WHERE tag = \'");'
        '\n strcat(sql, tag);\n strcat(sql, "\' ORDER BY id;");\n ' + run + " return sqlite3_step(st); }"
    )
    assert rules(built, ("db", "tag")) == ["sql-built-from-input", "unbounded-copy"]
    bound = (
        '{ char sql[512]; sqlite3_stmt *st; strcpy(sql, "SELECT title FROM posts WHERE tag = ?");'
        '\n strcat(sql, " ORDER BY id;");\n ' + run + " sqlite3_bind_text(st, 1, tag, -1, 0); return sqlite3_step(st); }"
    )
    assert rules(bound, ("db", "tag")) == []
