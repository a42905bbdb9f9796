"""seccodegen's own C/C++ checks: tree-sitter finds each function, small rules look inside it.

These cover what the off-the-shelf tools here cannot see: flows from a function's *parameters*
(clang's taint sources are argv/getenv/fgets..., not parameters), C++ string building, and
policy bugs (permissions). Each rule is a documented heuristic with one CWE; the calibration
tables in docs/judge.md measure them. Rules (id: CWE: fires when):

* ``sql-built-from-input`` (89): an SQL string literal is completed with ``%s`` formatting or
  ``+``/``<<`` concatenation (``sqlite3_mprintf``'s ``%s`` too; its escaping ``%q`` is not
  flagged), or SQL text started in a variable (``sql = "SELECT ..."``, ``strcpy(sql, "SELECT
  ...")``) is extended with a value (``+=``, ``<<``, ``append``, ``strcat``) before the query
  runs, and the function runs SQL (sqlite3_exec/prepare/get_table, mysql_query, PQexec).
* ``html-built-from-input`` (79): an HTML tag literal is printed or concatenated together with a
  non-literal value that is not passed through an escaping function (name contains escape/encode/
  sanitize/quote), in a function without a character-by-character escaper (``&lt;``); or, in
  such a function, a non-literal value is appended to a string or stream that holds HTML tags
  (``html += "<p>"; ... html += "Welcome, " + name;``).
* ``shell-command-from-input`` (78): system/popen runs a command string built in the function
  from a non-literal, and the function has no character validation (isalnum/strspn/...); a
  command formatted by ``sprintf``/``snprintf`` whose ``%s`` read only literals and ALL-CAPS
  constants is built from numbers (:mod:`.format_text`).
* ``path-from-input`` (22): a file API (fopen/open/unlink/ifstream/fs::remove, ...) gets a path
  built from a parameter (the parameter is an argument of the call, was written into a buffer the
  call uses by sprintf/snprintf/strcat/strcpy, or is joined with ``+``/``/``; a parameter only
  printed into the opened file is not), and the function never inspects that parameter for ``/``
  or ``..`` (strchr/strstr/find, realpath/canonical, filename()/basename) nor tests characters
  against an allow-list (isalnum/isalpha/isdigit, ``c >= 'a'`` ranges), which rejects both. Every
  parameter joined into the path must be inspected, a base folder's too. A parameter every caller
  passes to one of the file's validators, or inspects itself for ``..``/``/`` (or reduces to its
  file name) before the call, is inspected (:mod:`.path_validators`).
* ``world-writable-permissions`` (732): mode 0666/0777-like (others may write), S_IWOTH/S_IRWXO,
  ``umask(0)``, ``fs::perms::all``/``others_write``.
* ``default-permission-creation`` (732): a file or directory created with the default mode
  (``fopen(p, "w")``, ``open(p, O_CREAT)`` without a mode, ``std::ofstream``,
  ``fs::create_directories``) in a program that never sets permissions itself
  (:mod:`seccodegen.judge.analyzers.file_permissions`, modelled on CodeQL's
  ``cpp/world-writable-file-creation``).
* ``unchecked-index-parameter`` (129 -> 20): a parameter (or a local initialised from one)
  indexes an array and is never compared.
* ``unvalidated-number-parameter`` (20): outside ``main``, a number converted from a parameter
  or a local copy of one (atoi/atol/atoll/atof, also of ``text.c_str()``; std::stoi/stol without the position argument;
  ``sscanf`` into numeric locals; the ``strtol`` family; ``>>`` into a numeric local from a string
  stream made of it, ``std::istringstream in(text); in >> n``) whose value is not range-checked at
  both ends afterwards (compared fewer than twice; a value used at once is named by the call's
  text, ``atoi(t) >= 1 && atoi(t) <= 65535``): the conversions are lenient ("12abc" is 12, "-5" is
  -5, any size up to the type's limit), and only a two-ended range narrows what they yield (``if
  (q <= 0)`` alone still lets ``q * price`` overflow).
* ``unbounded-copy`` (787): strcpy/strcat/sprintf/vsprintf/gets writes into a buffer in a function
  that never measures anything (no strlen/strnlen/sizeof/size()/length()): nothing bounds the copy.
  A strcpy/strcat whose source is a string literal or a fixed-size array of the function is not
  unbounded (its length is bounded by a size the dataflow ``overflow-buffer`` query compares),
  nor one of a parameter whose length every caller compared (``if (strlen(msg) + 4 > sizeof
  out) continue; format_line(out, msg);``).
* ``narrow-size-multiplication`` (190): ``int``/``unsigned`` variable or allocation size is a
  product of non-constants (a variable only ever assigned integer literals, or an ALL-CAPS macro,
  is a constant), without size_t arithmetic (an allocation size with a ``size_t`` variable or a
  length, ``strlen(s) * n``, among its operands is ``size_t`` arithmetic; so is a factor converted
  to a 64-bit type first, ``(long long)w * h``, ``1LL * w * h``) or an overflow guard
  (a ``*_MAX`` limit, a division, ``__builtin_*_overflow``) in the function, unless every factor
  is compared with a literal (``w > 10000``) and the product of those literals fits an ``int``.
* ``int-accumulator`` (190): an ``int`` accumulator ``+=`` in a loop, without an overflow guard.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from seccodegen.findings import Finding
from seccodegen.judge import c_syntax
from seccodegen.judge.analyzers import file_permissions, format_text, integer_text, path_validators
from seccodegen.judge.analyzers.base import ANALYZERS, files_hash
from seccodegen.judge.analyzers.integer_text import (
    MEASURES,
    converted_numbers,
    define_values,
    int_accumulators,
    narrow_product,
    range_checked,
    with_text_copies,
)
from seccodegen.judge.c_syntax import functions as _functions
from seccodegen.judge.c_syntax import parser as _parser
from seccodegen.judge.c_syntax import without_comments as _without_comments

TOOL = "seccodegen-checks"
VERSION = "1"

# SQL text: a literal with a statement's structure (SELECT .. FROM, DELETE FROM, INSERT INTO, UPDATE
# t SET, REPLACE INTO), or a fragment that starts with a keyword and is continued ("SELECT " + col);
# not a message that only mentions a keyword ("Failed to delete order %s", "SELECT failed: %s\n",
# "insert failed: "): a fragment's keyword is written in capitals
SQL_LITERAL = re.compile(
    r'(?i:"[^"\n]*\b(?:SELECT\b[^"\n]*\bFROM|DELETE\s+FROM|INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET'
    r'|REPLACE\s+INTO)\b[^"\n]*")'
    r'|"\s*(?:SELECT|INSERT|UPDATE|DELETE|REPLACE)\b[^"\n]*[\s\'=(,]"'
)
SQL_RUN = re.compile(
    r"\b(?:sqlite3_exec|sqlite3_prepare\w*|sqlite3_get_table|mysql_query|mysql_real_query|mysql_send_query"
    r"|PQexec|PQsendQuery)\s*\("
)
STRING_LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"')
SQL_VAR = re.compile(r'\b(\w+)\s*(?:=|\+=|<<|\.\s*append\s*\()\s*(?=")|\bstrn?cpy\s*\(\s*(\w+)\s*,\s*(?=")')  # then SQL_LITERAL
STRING_CONVERSION = re.compile(r"%[-+ #0]*\d*(?:\.(?:\d+|\*))?s")  # %s, %.400s, %-20s, %.*s
HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z]")
ESCAPER = re.compile(r"escape|encode|sanitiz|quote|html_|&lt;|&#|&amp;", re.IGNORECASE)
# c >= 'a' && c <= 'z' / c < '0' || c > '9': a character allow-list
ALLOWLIST_LOOP = r"[<>]=?\s*'[a-zA-Z0-9]'"
SHELL_RUN = re.compile(r"\b(?:std::)?(?:system|popen)\s*\(\s*([^\"\s)][^)]*)\)")
CHAR_VALIDATION = re.compile(
    r"\b(?:isalnum|isalpha|isdigit|strspn|strcspn|strpbrk|find_first_not_of|find_first_of|regex_match|all_of|any_of)\b|"
    + ALLOWLIST_LOOP
)
FILE_API = re.compile(
    r"\b(?:fopen|open|openat|creat|unlink|remove|rename|mkdir|rmdir|opendir|stat|lstat|truncate|"
    r"ifstream|ofstream|fstream|remove_all|copy_file|create_directory|create_directories)\s*[\(\{]|"
    r"std::(?:ifstream|ofstream|fstream)\s+\w+\s*[\(\{]"
)
PATH_CHECK = (
    r"(?:strchr|strrchr|strstr|strpbrk|strcspn|strspn)\s*\(\s*{p}\b|\b{p}\s*(?:\.|->)\s*(?:find|rfind|find_first_of|"
    r"find_first_not_of|filename|has_parent_path|is_absolute|lexically_normal)\b|realpath|canonical|basename|lexically_relative|"
    r"\b{p}\s*\[\s*0\s*\]\s*==\s*'\.'|\b(?:isalnum|isalpha|isdigit)\s*\(|"
    + ALLOWLIST_LOOP.replace("{", "{{").replace("}", "}}")
)
# a caller's own check of the name it passes on: a search for "..", "/" or a separator, a
# resolved or reduced path (not strcspn(line, "\r\n"), which only strips the newline)
CALLER_PATH_CHECK = (
    r"\b(?:strstr|strchr|strrchr|strpbrk)\s*\(\s*{p}\s*,\s*(?:\"[^\"]*(?:\.\.|/)[^\"]*\"|'/')|"
    r"\b{p}\s*(?:\.|->)\s*(?:find|rfind|find_first_of)\s*\(\s*(?:\"[^\"]*(?:\.\.|/)[^\"]*\"|'/')|"
    r"\b(?:path\s*\(\s*)?{p}\s*\)?\s*\.\s*(?:filename|is_absolute|lexically_normal)\b|\b(?:realpath|canonical|weakly_canonical|basename)\s*\(\s*{p}\b"
)
# a caller's comparison of the length of the text it passes on
CALLER_LENGTH_CHECK = r"\b(?:strlen|strnlen)\s*\(\s*{p}\s*\)[^;{{}}]*[<>]|[<>][^;{{}}]*\b(?:strlen|strnlen)\s*\(\s*{p}\s*\)"
WORLD_WRITABLE = re.compile(
    r"\b(?:open|creat|mkdir|chmod|fchmod|mkfifo|permissions)\s*\([^;]*?"
    r"(?:\b0[0-7]?[0-7][0-7][2367]\b|S_IWOTH|S_IRWXO|perms::all\b|others_write|others_all)"
    r"|\bumask\s*\(\s*0+\s*\)"
)
# v = "<html>", v += "<p>", v << "<td>", v.append("<b>"), std::string v = "<...": group 1 = v
HTML_VAR = re.compile(r'\b(\w+)\s*(?:\+?=|<<|\.\s*append\s*\()\s*"[^"\n]*<\s*/?\s*[a-zA-Z]')
NON_TEXT = re.compile(r"\bstd::endl\b|\bendl\b|(?:std::)?to_string\s*\([^()]*\)|\b(?:std|size|length)\b")
UNBOUNDED_COPY = re.compile(r"\b(?:strcpy|strcat|sprintf|vsprintf|gets|wcscpy|wcscat)\s*\(")
# strcpy(dst, "literal") / strcpy(dst, name): the source of a string copy (group 1: literal, 2: name)
STRING_COPY_SOURCE = re.compile(r"\b(?:strcpy|strcat|wcscpy|wcscat)\s*\([^,;]*,\s*(?:(L?\"[^\"]*\")|(\w+))\s*\)")



def _statements(body: str) -> list[tuple[int, str]]:
    """(line offset, statement text) split at ';' and braces (good enough for these rules)."""
    out, start, line = [], 0, 0
    quote = ""
    prev = ""
    for i, ch in enumerate(body):
        if quote:
            if ch == quote and prev != "\\":
                quote = ""
            prev = "" if prev == "\\" else ch
            continue
        prev = ch
        if ch in "\"'":
            quote = ch
            continue
        if ch in ";{}":
            text = body[start : i + 1]
            if text.strip():
                out.append((line + text[: len(text) - len(text.lstrip())].count("\n"), text.strip()))
            line += text.count("\n")
            start = i + 1
    return out


def _bounded_sources(statement: str, body: str, measured: set[str] = frozenset()) -> bool:
    """Every copy in ``statement`` is a strcpy/strcat of a literal, of a fixed-size array of the
    function, or of a parameter whose length every caller compared (``measured``)."""
    if re.search(r"\b(?:sprintf|vsprintf|gets)\s*\(", statement):
        return False
    copies = STRING_COPY_SOURCE.findall(statement)
    if not copies or len(copies) != len(UNBOUNDED_COPY.findall(statement)):
        return False
    return all(lit or name in measured or re.search(rf"\b(?:char|wchar_t)\s+[^;]*\b{name}\s*\[\s*\w", body)
               for lit, name in copies)  # fmt: skip


def _path_built_from(param: str, statement: str, body: str) -> bool:
    """Parameter ``param`` reaches the file call ``statement``: it is an argument, or it was written
    into a buffer the call uses (``snprintf(full, ..., dir, name); fopen(full, ...)``), or joined
    with ``+``/``/``. A parameter only printed elsewhere (``fprintf(f, "%s", msg)``) is not, nor
    its name inside a string literal (``fopen(CACHE_DIR "/<key>", "w")`` opens a fixed name):
    ``statement`` and ``body`` come with their string literals blanked (``""``)."""
    p = re.escape(param)
    if re.search(rf"\b{p}\b", statement):
        return True
    for m in re.finditer(rf"\b(?:sn?printf|strn?cat|strn?cpy)\s*\(\s*(\w+)[^;]*\b{p}\b", body):
        if re.search(rf"\b{re.escape(m.group(1))}\b", statement):
            return True
    return re.search(rf"[/+]\s*\(?\s*{p}\b", body) is not None


def _appends_value_to(statement: str, html_vars: set[str]) -> bool:
    """``statement`` appends a non-literal value to one of ``html_vars`` (``html += "Hi " + name``,
    ``out << name``, ``html.append(name)``, ``strcat(sql, tag)``); numbers through ``to_string``
    do not count."""
    for var in html_vars:
        e = re.escape(var)
        m = re.search(rf"\b{e}\s*(?:\+=|<<|\.\s*append\s*\()(.*)|\bstrn?cat\s*\(\s*{e}\s*,(.*)", statement, re.S)
        m = m and (m.group(1) if m.group(1) is not None else m.group(2))
        if m and re.search(r"[A-Za-z_]\w*", NON_TEXT.sub(" ", STRING_LITERAL.sub(" ", m))):
            return True
    return False


def _check_function(
    params: list[str],
    body: str,
    name: str = "",
    sets_permissions: bool = True,
    macros: dict[str, int] | None = None,
    validated: set[str] = frozenset(),
    screened: bool = False,
    measured: set[str] = frozenset(),
) -> list[tuple[int, str, str, str]]:
    """(line offset in body, rule, CWE, message) for every rule that fires; ``sets_permissions``:
    the program chooses file permissions somewhere (then default-mode creations are not flagged);
    ``macros``: the file's integer ``#define``s; ``validated``: parameters the file's own name
    validators inspect (:mod:`.path_validators`); ``screened``: the function or its callers pass
    its parameters to the file's own character validators (``valid_host``)."""
    hits: list[tuple[int, str, str, str]] = []
    if name != "main":
        texts = with_text_copies(params, body)
        for off, st in _statements(body):
            for p in texts:
                values = converted_numbers(p, st, body)
                if values and not all(range_checked(v, body) for v in values):
                    hits.append(
                        (
                            off,
                            "unvalidated-number-parameter",
                            "CWE-20",
                            f"'{p}' is converted to a number whose range is not checked",
                        )
                    )
    stmts = _statements(body)
    # values that come from a parameter: the parameters and locals initialised from one
    indexers = list(params)
    for p in params:
        indexers += re.findall(
            rf"\b(?:int|long|short|unsigned|size_t|auto)\s+(\w+)\s*=\s*[^;]*\b{re.escape(p)}\b", body
        )
    runs_sql = bool(SQL_RUN.search(body))
    # strings the function starts with SQL text and extends later (sql += " WHERE a = '" + v + "'")
    sql_vars = {m.group(1) or m.group(2) for m in SQL_VAR.finditer(body) if SQL_LITERAL.match(body, m.end())} if runs_sql else set()
    # (line offset of the last statement that runs SQL: a string extended after it is output)
    last_run = max((body[: m.start()].count("\n") for m in SQL_RUN.finditer(body)), default=-1)
    # strings/streams the function fills with HTML over several statements (html += "<p>")
    html_vars = set() if ESCAPER.search(body) else set(HTML_VAR.findall(body))
    bare_body = STRING_LITERAL.sub('""', body)  # for path-from-input: a name in a literal is no use
    for off, st in stmts:
        lit = SQL_LITERAL.search(st)
        if (
            runs_sql
            and lit
            and (STRING_CONVERSION.search(lit.group(0)) or re.search(r'"\s*(?:\+|<<)\s*(?!(?:std::)?to_string)[\w(]', st))
        ) or (runs_sql and not lit and sql_vars and off < last_run and _appends_value_to(st, sql_vars)):
            hits.append(
                (
                    off,
                    "sql-built-from-input",
                    "CWE-89",
                    "SQL text is built from a value instead of bound parameters",
                )
            )
        html = any(HTML_TAG.search(lit) for lit in STRING_LITERAL.findall(st))
        if not html and html_vars and _appends_value_to(st, html_vars):
            hits.append((off, "html-built-from-input", "CWE-79", "a value is appended to HTML without escaping"))
        if html and not ESCAPER.search(body):
            printed = re.search(r"\b(?:printf|fprintf|sprintf|snprintf)\s*\(", st) and re.search(r"%s", st)
            joined = re.search(r'"\s*(?:\+|<<)\s*(?!")[\w(]|[\w)\]]\s*(?:\+|<<)\s*"|\.append\(\s*(?!")\w', st)
            if printed or joined:
                hits.append(
                    (off, "html-built-from-input", "CWE-79", "a value is written into HTML without escaping")
                )
        m = SHELL_RUN.search(st)
        if m and not screened and not CHAR_VALIDATION.search(body):
            var = re.match(r"\s*([A-Za-z_]\w*)", m.group(1))
            name = var.group(1) if var else ""
            built = name and re.search(
                rf"(?:s?n?printf|strn?cat|strn?cpy)\s*\(\s*{name}\b|\b{name}\s*(?:=|\+=|<<)[^;]*(?:\+|<<|\w\s*\()|\b{name}\s*\.\s*append\(",
                body,
            )
            if (built and not format_text.built_from_numbers(name, body)) or "+" in m.group(1):
                hits.append(
                    (off, "shell-command-from-input", "CWE-78", "a shell command is built from a value")
                )
        if FILE_API.search(st):
            bare = STRING_LITERAL.sub('""', st)
            for p in (p for p in params if p not in validated):
                if _path_built_from(p, bare, bare_body) and not re.search(PATH_CHECK.format(p=re.escape(p)), body):
                    hits.append(
                        (
                            off,
                            "path-from-input",
                            "CWE-22",
                            f"file path built from parameter '{p}' without checking it",
                        )
                    )
                    break
        if UNBOUNDED_COPY.search(st) and not MEASURES.search(body) and not _bounded_sources(st, body, measured):
            hits.append(
                (
                    off,
                    "unbounded-copy",
                    "CWE-787",
                    "unbounded copy/format into a buffer, with no length check",
                )
            )
        if not sets_permissions:
            for msg in file_permissions.default_mode_creations(st, body):
                hits.append((off, file_permissions.RULE, file_permissions.CWE, msg))
        if WORLD_WRITABLE.search(st):
            hits.append(
                (
                    off,
                    "world-writable-permissions",
                    "CWE-732",
                    "file or directory created/changed with permissions others can write",
                )
            )
        for p in indexers:
            if re.search(rf"\[\s*{re.escape(p)}\s*\]", st) and not re.search(
                rf"\b{re.escape(p)}\s*(?:<|>|<=|>=)|(?:<|>|<=|>=)\s*{re.escape(p)}\b", body
            ):
                hits.append(
                    (
                        off,
                        "unchecked-index-parameter",
                        "CWE-129",
                        f"parameter '{p}' indexes an array unchecked",
                    )
                )
                break
        if narrow_product(st, body, macros):
            hits.append(
                (off, "narrow-size-multiplication", "CWE-190", "a size is a product computed in a narrow integer type")
            )
    for line, name in int_accumulators(body):
        hits.append((line, "int-accumulator", "CWE-190", f"'{name}' sums values in an int"))
    return hits


@ANALYZERS.register(TOOL)
class SourceChecks:
    name = TOOL
    languages = ("c", "cpp")
    batch_size = 200

    def version(self) -> str:
        sources = [Path(__file__), Path(file_permissions.__file__), Path(integer_text.__file__),
                   Path(path_validators.__file__), Path(c_syntax.__file__), Path(format_text.__file__)]  # fmt: skip
        return VERSION + ":" + files_hash(sources)

    def available(self) -> bool:
        try:
            _parser("c")
            _parser("cpp")
        except ImportError:
            return False
        return True

    def run(
        self, files: list[Path], language: str, timeout: float, flags: Sequence[str] = ()
    ) -> dict[Path, list[Finding]]:
        out: dict[Path, list[Finding]] = {}
        for path in files:
            code = path.read_bytes()
            tree = _parser(language).parse(code)
            sets_permissions = file_permissions.program_sets_permissions(_without_comments(tree.root_node))
            macros = define_values(code)
            functions = list(_functions(tree))
            defined = [f[:3] for f in functions]
            validated = path_validators.validated_params(defined, PATH_CHECK, FILE_API, CALLER_PATH_CHECK)
            screened = path_validators.screening_functions(defined, CHAR_VALIDATION.pattern, SHELL_RUN)
            measured = path_validators.caller_checked_params(defined, CALLER_LENGTH_CHECK)
            for name, params, body, body_line in functions:
                checks = _check_function(
                    params, body, name, sets_permissions, macros, validated.get(name, set()), name in screened,
                    measured.get(name, set()),
                )  # fmt: skip
                for off, rule, cwe, msg in checks:
                    out.setdefault(path, []).append(
                        Finding(
                            tool=TOOL,
                            rule=rule,
                            message=msg,
                            line=body_line + off,
                            file=str(path),
                            cwe_ids=(cwe,),
                        )
                    )
        return out
