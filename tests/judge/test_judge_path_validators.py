"""seccodegen-checks and the file's own validators: a name inspected by a helper, in the function
or in every caller, counts as inspected (path-from-input, shell-command-from-input)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccodegen.judge.analyzers.source_checks import SourceChecks

pytest.importorskip("tree_sitter_c")

VALIDATOR = """static int valid_name(const char *name) {
    if (strstr(name, "..") != NULL || strchr(name, '/') != NULL) return 0;
    return 1;
}
"""
OPENER = """static int show(const char *dir, const char *name) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) return 1;
    fclose(f);
    return 0;
}
"""


def found(tmp_path: Path, code: str, language: str = "c") -> list[str]:
    src = tmp_path / ("t.cpp" if language == "cpp" else "t.c")
    src.write_text("#include <stdio.h>\n#include <string.h>\n#include <stdlib.h>\n" + code)
    return sorted(f.rule for f in SourceChecks().run([src], language, 60.0).get(src, []))


def test_a_name_checked_by_every_caller_with_an_own_validator(tmp_path: Path) -> None:
    main = 'int main(int argc, char **argv) { if (argc < 2) return 1; CHECK return show("notes", argv[1]); }'
    checked = VALIDATOR + OPENER + main.replace("CHECK", "if (!valid_name(argv[1])) return 1;")
    assert "path-from-input" not in found(tmp_path, checked)
    assert "path-from-input" in found(tmp_path, VALIDATOR + OPENER + main.replace("CHECK", ""))
    # a second caller that passes the name unchecked makes it input again
    second = checked + 'int other(const char *n) { return show("notes", n); }\n'
    assert "path-from-input" in found(tmp_path, second)


def test_a_weak_helper_is_no_validator(tmp_path: Path) -> None:
    weak = "static int valid_name(const char *name) { return name[0] != '/'; }\n"
    main = 'int main(int argc, char **argv) { if (argc < 2 || !valid_name(argv[1])) return 1; return show("d", argv[1]); }'
    assert "path-from-input" in found(tmp_path, weak + OPENER + main)


def test_a_shell_command_after_an_own_character_validator(tmp_path: Path) -> None:
    code = """static int valid_host(const char *h) {
    for (size_t i = 0; h[i]; i++) if (!isalnum((unsigned char)h[i]) && h[i] != '.') return 0;
    return h[0] != '\\0';
}
int main(int argc, char **argv) {
    char cmd[300];
    if (argc < 2) return 1;
    CHECK
    snprintf(cmd, sizeof cmd, "ping -c 1 %s", argv[1]);
    return system(cmd);
}
"""
    assert "shell-command-from-input" not in found(tmp_path, "#include <ctype.h>\n" + code.replace("CHECK", "if (!valid_host(argv[1])) return 1;"))
    assert "shell-command-from-input" in found(tmp_path, "#include <ctype.h>\n" + code.replace("CHECK", ""))


def test_sql_with_a_precision_conversion_or_extended_later(tmp_path: Path) -> None:
    precision = """int q(sqlite3 *db, const char *name) { char sql[512];
    sprintf(sql, "SELECT * FROM t WHERE name = '%.400s';", name);
    return sqlite3_exec(db, sql, 0, 0, 0); }"""
    assert "sql-built-from-input" in found(tmp_path, "typedef struct sqlite3 sqlite3;\nint sqlite3_exec(sqlite3*, const char*, void*, void*, char**);\n" + precision)
    appended = """#include <string>
int q(sqlite3 *db, const std::string &author) { std::string sql = "SELECT title FROM books";
    if (!author.empty()) sql += " WHERE author = '" + author + "'";
    return sqlite3_exec(db, sql.c_str(), 0, 0, 0); }"""
    header = "struct sqlite3;\nint sqlite3_exec(sqlite3*, const char*, void*, void*, char**);\n"
    assert "sql-built-from-input" in found(tmp_path, header + appended, "cpp")
    bound = appended.replace("\" WHERE author = '\" + author + \"'\"", "\" WHERE author = ?\"")
    assert bound != appended
    assert "sql-built-from-input" not in found(tmp_path, header + bound, "cpp")
    # the same stream reused for output after the query ran is no SQL
    output = """#include <sstream>
int q(sqlite3 *db, const char *name) { std::ostringstream ss; ss << "SELECT price FROM t WHERE name = ?";
    int rc = sqlite3_exec(db, ss.str().c_str(), 0, 0, 0); ss << name << rc; return rc; }"""
    assert "sql-built-from-input" not in found(tmp_path, header + output, "cpp")


def test_a_file_scope_constant_bounds_a_product(tmp_path: Path) -> None:
    code = """const int MAX_SIDE = 1024;
int main(int argc, char **argv) { if (argc < 2) return 1; int side = atoi(argv[1]);
    if (side <= 0 || side > MAX_SIDE) return 1;
    char *board = malloc(side * side); if (!board) return 1; free(board); return 0; }"""
    assert "narrow-size-multiplication" not in found(tmp_path, code)
    assert "narrow-size-multiplication" in found(tmp_path, code.replace("1024", "1000000"))


@pytest.mark.parametrize(
    ("check", "inspected"),
    [
        ('if (strstr(line, "..") != NULL || line[0] == \'/\') return 1;', True),
        ("if (strchr(line, '/')) return 1;", True),
        ('line[strcspn(line, "\\r\\n")] = 0;', False),  # strips the newline, checks nothing
        ("", False),
    ],
)
def test_a_name_its_caller_checks_inline(tmp_path: Path, check: str, inspected: bool) -> None:
    main = "int main(void) { char line[128]; if (!fgets(line, sizeof line, stdin)) return 1; CHECK return show(\"notes\", line); }"
    rules = found(tmp_path, OPENER + main.replace("CHECK", check))
    assert ("path-from-input" not in rules) == inspected, rules


def test_a_path_built_from_a_name_the_caller_reduced_to_its_file_name(tmp_path: Path) -> None:
    code = """#include <filesystem>
#include <fstream>
#include <string>
static bool exists(const std::filesystem::path &p) { std::ifstream in(p); return in.good(); }
int main() { std::string title; std::getline(std::cin, title);
    CHECK
    std::filesystem::path p = std::filesystem::path("notes") / (title + ".md");
    return exists(p) ? 0 : 1; }"""
    check = "if (std::filesystem::path(title).filename() != title) return 1;"
    assert "path-from-input" not in found(tmp_path, code.replace("CHECK", check), "cpp")
    assert "path-from-input" in found(tmp_path, code.replace("CHECK", ""), "cpp")


def test_a_copy_of_text_every_caller_measured(tmp_path: Path) -> None:
    code = """static void format_line(char *out, const char *nick, const char *msg) {
    strcpy(out, "<"); strcat(out, nick); strcat(out, "> "); strcat(out, msg); }
int main(void) { char nick[64], msg[256], out[128];
    if (!fgets(nick, sizeof nick, stdin)) return 1;
    while (fgets(msg, sizeof msg, stdin)) {
        CHECK
        format_line(out, nick, msg); puts(out); }
    return 0; }"""
    measured = "if (strlen(nick) + strlen(msg) + 4 > sizeof out) continue;"
    assert "unbounded-copy" not in found(tmp_path, code.replace("CHECK", measured))
    assert "unbounded-copy" in found(tmp_path, code.replace("CHECK", "if (strlen(nick) + 4 > sizeof out) continue;"))
    assert "unbounded-copy" in found(tmp_path, code.replace("CHECK", ""))
