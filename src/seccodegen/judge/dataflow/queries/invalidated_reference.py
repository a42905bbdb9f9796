"""Use of a reference, pointer or iterator into a C++ container after a call that may have moved
or removed its elements (CWE-416; the core's model: :mod:`seccodegen.judge.dataflow.containers`).

Fires at the first use (read, write, call argument, return) of a variable whose borrow of a
``std::vector``/``std::string``/``std::deque`` a reallocating call (``push_back``, ``insert``,
``erase``, ``resize``, ``clear``...) invalidated on some path to the use, before the variable
was bound again; or of an iterator into a ``std::list``/``std::map``/``std::set`` (or an
unordered kin) that ``c.erase(it)`` erased, the loop that forgot ``it = c.erase(it)``. Loop bodies are walked twice, so a ``push_back`` at the end of one iteration
reaches a use of a reference bound before the loop in the next.

CodeQL counterparts: ``cpp/iterator-to-expired-container`` and ``cpp/use-after-free``'s
container models. Deliberate differences: any reallocating call counts, without proving that
the capacity was exceeded (a ``reserve`` that makes room is not credited); only containers held
in local variables or parameters are followed.
"""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast
from seccodegen.judge.dataflow.containers import INVALIDATING, writes_through
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit


def _uses(ev: Event) -> set[str]:
    """Variables ``ev`` reads or writes through, without the variable an assignment rebinds
    (``it = v.erase(it)``; a reference assigned to is written through, so it counts) and without the arguments of a reallocating call nested in the event,
    which it read before it reallocated (the event's own call reads them in the state before it)."""
    if ev.kind == "assign":
        parts = [a for a in ev.args if a is not None]
        target = ast.children(ev.cursor)[0] if ev.cursor.kind == ci.CursorKind.BINARY_OPERATOR else None
        if target is not None and writes_through(ast.strip(target)):
            parts.append(target)  # r = x through a reference: a write to what it refers to
    elif ev.kind == "call" and ev.name == "operator=" and ev.args:
        parts = list(ev.args if writes_through(ast.strip(ev.args[0])) else ev.args[1:])
    elif hasattr(ev.cursor, "get_children"):
        parts = [ev.cursor]
    else:
        return set()
    used: set[str] = set()
    for part in parts:
        stack = [part]
        while stack:
            n = stack.pop()
            if n.kind == ci.CursorKind.CALL_EXPR and n != ev.cursor and ast.call_name(n) in INVALIDATING:
                continue  # an inner reallocating call: its arguments were read before it ran
            if n.kind == ci.CursorKind.DECL_REF_EXPR and ast.var_name(n):
                used.add(ast.var_name(n))
            stack.extend(n.get_children())
    return used


@QUERIES.register("invalidated-reference")
class InvalidatedReference:
    rule = "invalidated-reference"
    languages = ("cpp",)

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        hits: list[Hit] = []
        reported: set[str] = set()
        for ev in fn.events:
            invalid = ev.state.invalid
            if not invalid:
                continue
            for var in sorted(_uses(ev) & set(invalid) - reported):
                reported.add(var)
                container = ev.state.borrows.get(var, "its container")
                hits.append(Hit(self.rule, ("CWE-416",), ev.line, ev.column,
                                f"'{var}' points into '{container}', which a call at line {invalid[var]} "
                                "may have reallocated or erased"))  # fmt: skip
        return hits
