"""Cross-site scripting (CWE-79): input or a parameter written raw into HTML by the printf family.

Fires where a string that carries input or a parameter's value (``src:``/``param:`` taint) is
printed with ``%s`` by ``printf``/``fprintf``/``dprintf``/``sprintf``/``snprintf`` or written by
``puts``/``fputs``, in a function that writes HTML: the call's own format holds a tag
(``"<li><b>%s</b>"``), or the function writes a tag elsewhere or escapes some other value for
HTML (then its output is HTML too: ``put_html_escaped(out, author); fprintf(out, ": %s", message);``
escapes the author and prints the message raw), or the file prints a ``Content-Type: text/html``
header (a CGI program, whose every printed line is the page). ``sprintf``/``snprintf`` count only with a tag
in their own format (the buffer is HTML from then on) and when the buffer is not escaped as a
whole afterwards; ``stderr`` is never HTML.

A value is escaped when it is, or was assigned from, the result of an escaping call, or is a
local buffer an escaping call filled (``html_escape(out, sizeof out, name)``). An escaping call is
one whose name says so (``escape``, ``encode``, ``sanitize``, ``entities``...) or one of the
file's own functions whose body writes an entity (``"&lt;"``, ``"&amp;"``, ``"&#"``). Passing a
value to an escaper that writes to the stream does not make the value itself safe to print
afterwards. Character allow-lists and tests of the string for ``'<'`` count as checks.

CodeQL counterpart: ``cpp/cgi-xss`` (``QUERY_STRING`` into ``printf``/``puts``). Deliberate
differences: any input and the function's string parameters are sources (the scenarios' renderers
receive their input as parameters), any stream but ``stderr`` can be the page, and escaping
functions are sanitizers (CodeQL's query has none). C++ streams and string building are left to
``seccodegen-checks``' ``html-built-from-input``.
"""

from __future__ import annotations

import re

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.sinks import tested_for, unsafe_argument

K = ci.CursorKind
# an HTML element by name, or a doctype/comment: "<li><b>%s</b>", "<a href=\"%s\"", not the
# placeholders of a usage line ("usage: %s <word> <times>")
ELEMENTS = (
    "a|abbr|article|aside|b|blockquote|body|br|button|caption|code|dd|div|dl|dt|em|footer|form|h[1-6]|head"
    "|header|hr|html|i|iframe|img|input|label|li|link|main|meta|nav|ol|option|p|pre|script|section|select"
    "|small|span|strong|style|sub|sup|table|tbody|td|textarea|th|thead|title|tr|u|ul"
)
HTML_TAG = re.compile(rf"<\s*/?\s*(?:{ELEMENTS})\b[^<>]*>?|<!(?:DOCTYPE|--)", re.I)
USAGE = re.compile(r"\busage\b", re.I)
CONTENT_TYPE = re.compile(r"Content-Type:\s*text/html", re.I)
ENTITY = re.compile(r"&(?:lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);")
ESCAPER_NAME = re.compile(r"escape|encode|sanitiz|sanitis|entit|html_?safe|quote_?html", re.I)
# name -> (format position, or None for puts/fputs whose argument 0 is written as it is)
PRINTERS: dict[str, int | None] = {"printf": 0, "fprintf": 1, "dprintf": 1, "sprintf": 1, "snprintf": 2,
                                   "puts": None, "fputs": None}  # fmt: skip
TO_BUFFER = {"sprintf", "snprintf"}
CHARACTER_CLASSES = {"isalnum", "isalpha", "isdigit", "isxdigit", "islower", "isupper", "isgraph", "isprint",
                     "strspn", "strcspn", "strpbrk", "find_first_not_of", "find_first_of"}  # fmt: skip
CONVERSION = re.compile(r"%(?:%|[-+ #0'I]*(\*|\d+)?(?:\.(\*|\d+))?(?:hh|h|ll|l|j|z|t|L)?([a-zA-Z]))")


def _literal(c) -> str | None:
    """The text of a string literal argument (through casts), or None."""
    c = ast.strip(c)
    while c is not None and c.kind != K.STRING_LITERAL and len(ast.children(c)) == 1:
        c = ast.children(c)[0]
    if c is None or c.kind != K.STRING_LITERAL:
        return None
    return "".join(t.spelling[1:-1] for t in c.get_tokens() if t.spelling.startswith('"'))


def _format_text(fn: FunctionFacts, arg) -> str | None:
    """A format's text: a literal, or a local assigned one literal and nothing else
    (``const char *tmpl = "Welcome, %s!"; fprintf(out, tmpl, name)``)."""
    text = _literal(arg)
    var = ast.var_name(ast.strip(arg)) if text is None else None
    if var is None:
        return text
    values = [ev.args[0] for ev in fn.events if ev.kind == "assign" and ev.name == var and ev.args]
    texts = {_literal(v) if v is not None else None for v in values}
    return texts.pop() if len(texts) == 1 and None not in texts else None


def string_arguments(fmt: str, first: int) -> list[int]:
    """Argument positions a printf format ``fmt`` prints with ``%s`` (its arguments start at ``first``)."""
    out, pos = [], first
    for m in CONVERSION.finditer(fmt):
        if m.group(0) == "%%":
            continue
        pos += (m.group(1) == "*") + (m.group(2) == "*")
        if m.group(3) == "s":
            out.append(pos)
        pos += 1
    return out


class Escapers:
    """Which calls escape for HTML: by name, or the file's own functions that write entities."""

    def __init__(self) -> None:
        self._own: dict[str, bool] = {}

    def __call__(self, call) -> bool:
        name = ast.call_name(call)
        if ESCAPER_NAME.search(name):
            return True
        decl = call.referenced
        body = decl.get_definition() if decl is not None else None
        if body is None:
            return False
        if name not in self._own:
            self._own[name] = any(t.kind == ci.TokenKind.LITERAL and ENTITY.search(t.spelling) for t in body.get_tokens())
        return self._own[name]


def _tagged(text: str) -> bool:
    """``text`` holds an HTML tag and is no usage line (``<input>`` there is a placeholder)."""
    return bool(HTML_TAG.search(text)) and not USAGE.search(text)


def _writes_html(fn: FunctionFacts, escapes: Escapers) -> bool:
    for t in fn.cursor.get_tokens():
        if t.kind == ci.TokenKind.LITERAL and t.spelling.startswith('"') and _tagged(t.spelling):
            return True
    tu = fn.cursor.translation_unit
    if tu is not None and any(t.kind == ci.TokenKind.LITERAL and CONTENT_TYPE.search(t.spelling)
                              for t in tu.cursor.get_tokens()):  # fmt: skip
        return True  # a CGI program: what it prints is the page
    return any(escapes(ev.cursor) for ev in fn.events if ev.kind == "call" and ev.cursor.kind == K.CALL_EXPR)


def _escaped_vars(fn: FunctionFacts, escapes: Escapers) -> set[str]:
    """Variables assigned an escaping call's result, and local buffers an escaping call filled."""
    out: set[str] = set()
    for ev in fn.events:
        if ev.kind == "assign" and ev.args and ev.args[0] is not None:
            if any(escapes(c) for c in ev.args[0].walk_preorder() if c.kind == K.CALL_EXPR):
                out.add(ev.name)
        elif ev.kind == "call" and ev.cursor.kind == K.CALL_EXPR and escapes(ev.cursor):
            out |= {v for a in ev.args if (v := ast.base_var(a)) and v not in fn.params}
    return out


def _condition_parts(c) -> list:
    """The condition of a branching statement (with a ``switch``'s case labels)."""
    kids = ast.children(c)
    if c.kind in (K.IF_STMT, K.WHILE_STMT, K.CONDITIONAL_OPERATOR) and kids:
        return [kids[0]]
    if c.kind == K.DO_STMT and kids:
        return [kids[-1]]
    if c.kind == K.FOR_STMT:
        return [ast.for_parts(c, kids)[1]] if ast.for_parts(c, kids)[1] is not None else []
    if c.kind == K.SWITCH_STMT and kids:
        return [kids[0]] + [n for n in c.walk_preorder() if n.kind == K.CASE_STMT]
    return []


def _inspected_vars(fn: FunctionFacts) -> set[str]:
    """Variables whose characters the function tests the way escaping or an allow-list does: a
    condition that compares them with ``'<'`` (``switch (s[i]) { case '<': ...``, ``*p == '<'``)
    or with character ranges (``c >= 'a' && c <= 'z'``) or classifies them (``isalnum``,
    ``strspn``); also what a tested pointer or character was taken from (``p = name``)."""
    out: set[str] = set()
    tests = [parts for c in fn.cursor.walk_preorder() if (parts := _condition_parts(c))]
    tests += [[ev.args[0]] for ev in fn.events if ev.kind == "assign" and ev.args and ev.args[0] is not None]
    for parts in tests:  # conditions, and flags computed for one: bool plain = c >= 'a' && ...
        toks = [t for part in parts for t in ast.tokens(part)]
        ranged = any(t in ("<", ">", "<=", ">=") for t in toks) and any(t.startswith("'") for t in toks)
        if "'<'" in toks or ranged or set(toks) & CHARACTER_CLASSES:
            out |= ast.refs(parts[0])
    grown = True
    while grown:  # p = name; c = s[i]; for (char c : query)
        grown = False
        for ev in fn.events:
            if ev.kind == "assign" and ev.name in out and ev.args and ev.args[0] is not None:
                new = ast.refs(ev.args[0]) - out
                if new:
                    out |= new
                    grown = True
    return out


def _raw_source(fn: FunctionFacts, ev: Event, arg, escaped: set[str], escapes: Escapers) -> str | None:
    """Why ``arg`` carries unescaped input ("input (fgets)", "parameter 'name'"), or None."""
    if any(escapes(c) for c in arg.walk_preorder() if c.kind == K.CALL_EXPR):
        return None
    names = ast.refs(arg) | ({ast.base_var(arg)} - {None})
    related = set().union(*(ev.state.related(v) for v in names)) if names else set()
    if (names | related) & escaped:
        return None
    if tested_for(ev, arg, "<"):
        return None
    return unsafe_argument(fn, ev, arg, ("allowlist",), direct_params=True)


def _to_stderr(ev: Event) -> bool:
    at = {"fprintf": 0, "dprintf": 0, "fputs": 1}.get(ev.name)
    if at is None or at >= len(ev.args):
        return False
    stream = ast.strip(ev.args[at])
    return ast.var_name(stream) == "stderr" or ast.text(stream) in ("2", "STDERR_FILENO")


def _is_text(arg) -> bool:
    t = ast.strip(arg)
    spelling = t.type.get_canonical().spelling if t is not None else ""
    return "char" in spelling and ("*" in spelling or "[" in spelling)


@QUERIES.register("html-injection")
class HtmlInjection:
    rule = "html-injection"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        if fn.cursor is None or ESCAPER_NAME.search(fn.name):
            return []  # an escaper writes the raw characters it has checked
        printing = fn.calls(*PRINTERS)
        if not printing:
            return []
        escapes = Escapers()
        page = _writes_html(fn, escapes)
        escaped = _escaped_vars(fn, escapes) | _inspected_vars(fn)
        hits = []
        for ev in printing:
            fmt_pos = PRINTERS[ev.name]
            if fmt_pos is None:
                positions, fmt = [0], ""
            else:
                fmt = _format_text(fn, ev.args[fmt_pos]) if fmt_pos < len(ev.args) else None
                if fmt is None:
                    continue
                positions = string_arguments(fmt, fmt_pos + 1)
            tagged = _tagged(fmt)
            if not (tagged or page and ev.name not in TO_BUFFER):
                continue
            if _to_stderr(ev) or ev.name in TO_BUFFER and ast.base_var(ev.args[0]) in escaped:
                continue  # not the page; or a buffer escaped as a whole before it is used
            for pos in positions:
                if pos >= len(ev.args) or not _is_text(ev.args[pos]):
                    continue
                why = _raw_source(fn, ev, ev.args[pos], escaped, escapes)
                if why:
                    hits.append(Hit(self.rule, ("CWE-79",), ev.line, ev.column,
                                    f"{ev.name}() writes {why} into HTML without escaping it"))  # fmt: skip
                    break
        return hits
