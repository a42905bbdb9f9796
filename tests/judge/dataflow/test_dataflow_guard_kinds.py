"""What a condition checks (guard_kinds): the file's own predicates, checks made by every caller,
prefix tests of unresolved paths, rejected names, position searches and constant choices."""

from __future__ import annotations

import pytest

from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

VALIDATOR = """static int valid_name(const char *name) {
    if (name[0] == '\\0' || strstr(name, "..") != NULL || strchr(name, '/') != NULL) return 0;
    return 1;
}
"""
OPENER = """static int show(const char *name) {
    char path[256];
    snprintf(path, sizeof path, "notes/%s", name);
    FILE *f = fopen(path, "r");
    if (!f) return 1;
    fclose(f);
    return 0;
}
"""


def test_an_own_predicate_in_the_function_or_in_every_caller_is_a_path_check(query_hits) -> None:
    inside = OPENER.replace("    char path[256];", "    if (!valid_name(name)) return 1;\n    char path[256];")
    main = "int main(int argc, char **argv) { if (argc < 2) return 1; CHECK return show(argv[1]); }"
    assert query_hits("path-injection", VALIDATOR + inside + main.replace("CHECK", "")) == []
    caller = VALIDATOR + OPENER + main.replace("CHECK", "if (!valid_name(argv[1])) return 1;")
    assert query_hits("path-injection", caller) == []
    assert query_hits("path-injection", VALIDATOR + OPENER + main.replace("CHECK", ""))
    # a leading ".." test alone, in a helper as inline, is no path check: a/../../etc passes it
    weak = VALIDATOR.replace('strstr(name, "..") != NULL || strchr(name, \'/\') != NULL', 'strncmp(name, "..", 2) == 0')
    assert query_hits("path-injection", weak + OPENER + main.replace("CHECK", "if (!valid_name(argv[1])) return 1;"))


def test_a_prefix_test_of_a_path_counts_only_once_it_is_resolved(query_hits) -> None:
    code = """int f(const char *name) { char path[256]; char real[4096];
    snprintf(path, sizeof path, "logs/%s", name);
    RESOLVE
    const char *base = "logs/";
    if (strncmp(CHECKED, base, strlen(base)) != 0) return 1;
    FILE *fp = fopen(CHECKED, "r"); if (!fp) return 1; fclose(fp); return 0; }"""
    unresolved = code.replace("RESOLVE", "").replace("CHECKED", "path")
    assert query_hits("path-injection", unresolved)  # logs/../../etc/passwd starts with logs/
    resolved = code.replace("RESOLVE", "if (!realpath(path, real)) return 1;").replace("CHECKED", "real")
    assert query_hits("path-injection", resolved) == []


def test_a_failed_name_comparison_is_no_allow_list(query_hits) -> None:
    code = """static void handle(const char *cmd) {
    if (strcmp(cmd, "inc") == 0) puts("+1");
    else if (strcmp(cmd, "dec") == 0) puts("-1");
    else fprintf(stderr, cmd);
}
int main(void) { char line[64]; while (fgets(line, sizeof line, stdin)) handle(line); return 0; }"""

    def in_handle(source: str) -> list:
        return [h for h in query_hits("tainted-format-string", source) if "fprintf" in h.message]

    assert in_handle(code)  # anything but "inc" and "dec" reaches the format
    assert in_handle(code.replace("else fprintf", 'else if (strcmp(cmd, "show") == 0) fprintf')) == []


def test_a_search_for_a_separator_is_no_allow_list(query_hits) -> None:
    code = """#include <iostream>
int main() { std::string line;
    while (std::getline(std::cin, line)) {
        size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        printf(line.c_str());
    }
    return 0; }"""
    assert query_hits("tainted-format-string", code, "cpp")


def test_a_value_pinned_to_listed_constants_is_bounded(query_hits) -> None:
    code = """int main(void) { int w, h, ch; if (scanf("%d %d %d", &w, &h, &ch) != 3) return 1;
    if (w <= 0 || h <= 0 || w > 8192 || h > 8192) return 1;
    CHOICE
    size_t bytes = (size_t)w * (size_t)h * (size_t)ch;
    char *p = malloc(bytes); if (!p) return 1; free(p); return 0; }"""
    assert query_hits("integer-overflow", code.replace("CHOICE", "if (ch != 1 && ch != 3 && ch != 4) return 1;")) == []
    assert query_hits("integer-overflow", code.replace("CHOICE", "if (ch == 0) return 1;"))


def test_a_map_key_and_a_found_position_are_no_index_or_input_number(query_hits) -> None:
    code = """#include <iostream>
#include <map>
int main() { std::map<int, int> counts; int k; std::string line;
    while (std::cin >> k) counts[k] += 1;
    if (std::getline(std::cin, line)) { size_t eq = line.find('='); if (eq != std::string::npos) return (int)line.substr(eq + 1).size(); }
    return 0; }"""
    assert query_hits("out-of-bounds", code, "cpp") == []
    assert query_hits("integer-overflow", code, "cpp") == []


def test_a_parser_that_fills_its_arguments_is_no_check(query_hits) -> None:
    code = """struct request { char method[8]; char tpl[128]; };
static int parse(const char *line, struct request *req) {
    if (sscanf(line, "%7s %127s", req->method, req->tpl) != 2) return -1;
    if (strstr(req->tpl, "tpl=") == NULL) return -1;
    return 0; }
static int render(const struct request *req) { char path[256];
    snprintf(path, sizeof path, "templates/%s", req->tpl);
    FILE *f = fopen(path, "r"); if (!f) return -1; fclose(f); return 0; }
int main(void) { char line[256]; struct request req;
    while (fgets(line, sizeof line, stdin)) { if (parse(line, &req) != 0) continue; render(&req); }
    return 0; }"""
    found = query_hits("path-injection", code)  # the request's text reaches fopen, parse() checks no path
    assert found and "input" in found[0].message


def test_a_caller_s_lower_check_and_the_callee_s_clamp_bound_an_index(query_hits) -> None:
    code = """static void ruler(int width) { char row[81];
    if (width > 80) width = 80;
    memset(row, '-', width); row[width] = '\\0'; puts(row); }
int main(void) { int w; while (scanf("%d", &w) == 1) { LOWER ruler(w); } return 0; }"""
    assert query_hits("out-of-bounds", code.replace("LOWER", "if (w <= 0) continue;")) == []
    assert query_hits("out-of-bounds", code.replace("LOWER", ""))  # a negative width indexes before row


def test_a_predicate_that_resolves_into_its_own_locals_is_a_path_check(query_hits) -> None:
    inside = """static int inside_base(const char *path) {
    char base[4096], real[4096];
    if (!realpath("notes", base) || !realpath(path, real)) return 0;
    return strncmp(real, base, strlen(base)) == 0 && real[strlen(base)] == '/';
}
"""
    main = 'int main(int argc, char **argv) { char path[256]; if (argc < 2) return 1; snprintf(path, sizeof path, "notes/%s", argv[1]); CHECK FILE *f = fopen(path, "r"); if (!f) return 1; fclose(f); return 0; }'
    assert query_hits("path-injection", inside + main.replace("CHECK", "if (!inside_base(path)) return 1;")) == []
    assert query_hits("path-injection", inside + main.replace("CHECK", ""))
    # a helper that copies into memory its caller gave it fills, not checks
    filler = inside.replace("char base[4096], real[4096];", "char base[4096]; char *real = (char *)path;")
    assert query_hits("path-injection", filler + main.replace("CHECK", "if (!inside_base(path)) return 1;"))
