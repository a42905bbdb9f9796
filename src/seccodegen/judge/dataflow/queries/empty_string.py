"""The last character of a C string that may be empty (CWE-125 read, CWE-787 write; CWE-191).

Fires on ``s[n - 1]`` (or ``s[strlen(s) - 1]``) where ``n`` is set once to ``strlen(s)`` and
``s`` is a parameter or holds input, when no condition on the way reads ``s`` or ``n`` other
than to test ``s`` for NULL: ``size_t n = strlen(line); return line[n - 1] == '\\\\';`` on an
empty line computes ``SIZE_MAX`` and reads far outside the string. ``if (n > 0 && ...)``,
``if (s[0] != '\\0')``, ``while (fgets(s, ...))`` or a call that inspects ``s`` first
(``if (ends_with_backslash(line)) line[strlen(line) - 1] = 0;``) dominate the access and
protect it. ``std::string`` is :mod:`.empty_container`'s case.

CodeQL counterpart: ``cpp/unsigned-difference-expression-compared-zero`` covers the unsigned
``strlen(s) - 1`` arithmetic in comparisons only; range analysis (``cpp/overrun-write``) finds the
index wrapping. Deliberate difference: any condition that reads the string counts as a length
check, without proving it (a string the code has just inspected is rarely empty there).
"""

from __future__ import annotations

import re

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast
from seccodegen.judge.dataflow.facts import guards_of
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.index_values import written_offsets

K = ci.CursorKind
NULL_TEST = {"!", "==", "!=", "NULL", "nullptr", "0", "(", ")"}


def _length_of(index, fn: FunctionFacts) -> tuple[str, str] | None:
    """(string, length variable or "") when ``index`` is ``n - k`` with ``n = strlen(s)`` set
    once in the function, or ``strlen(s) - k``; ``k`` a positive literal."""
    toks = ast.tokens(index)
    m = re.fullmatch(r"strlen \( (\w+) \) - [1-9]\d*", " ".join(toks))
    if m:
        return m.group(1), ""
    if len(toks) == 3 and toks[1] == "-" and toks[2].isdigit() and int(toks[2]) > 0 and toks[0].isidentifier():
        value = fn.only_value(toks[0])
        found = re.fullmatch(r"strlen \( (\w+) \)", value) if value is not None else None
        if found:
            return found.group(1), toks[0]
    return None


def _checked(ev: Event, string: str, length: str) -> bool:
    """A condition on the way reads the string (not only to test it for NULL) or its length."""
    for g in guards_of(ev, string):
        if not set(g.text.split()) <= NULL_TEST | {string}:
            return True
    return bool(length) and bool(guards_of(ev, length))


@QUERIES.register("empty-string-last-index")
class EmptyStringLastIndex:
    rule = "empty-string-last-index"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        if "strlen" not in fn.body_text:
            return []
        hits: list[Hit] = []
        writes: set[int] | None = None
        for ev in fn.events:
            if not (ev.kind == "deref" and ev.cursor.kind == K.ARRAY_SUBSCRIPT_EXPR and ev.args and ev.name):
                continue
            found = _length_of(ev.args[0], fn) if ev.args[0] is not None else None
            if found is None or found[0] != ev.name:
                continue
            string, length = found
            from_outside = string in fn.params or any(lbl.startswith("src:") for lbl in ev.state.taint.get(string, ()))
            if not from_outside or _checked(ev, string, length):
                continue
            if writes is None:
                writes = written_offsets(fn)
            written = ev.cursor.extent.start.offset in writes
            cwes = ("CWE-787" if written else "CWE-125", "CWE-191")
            msg = (f"'{string}[{ast.compact(ev.args[0])}]' on an empty string is '{string}[SIZE_MAX]': nothing on the way "
                   f"checks that '{string}' is not empty")  # fmt: skip
            hits.append(Hit(self.rule, cwes, ev.line, ev.column, msg))
        return hits
