"""``strncat`` bounded by something other than the room left in the destination (CWE-787/120,
CWE-193 for the missing NUL byte).

``strncat(dst, src, n)`` appends at most ``n`` bytes of ``src`` *plus a NUL* after the string
already in ``dst``, so the bound that keeps it inside a buffer of ``size`` bytes is
``size - strlen(dst) - 1``. This query reports a call whose ``n``:

* does not read the destination's current length at all (``strncat(out, part, kMaxPath)``,
  ``strncat(buf, s, sizeof(buf))``, ``strncat(buf, s, strlen(s))``) while the destination may
  already hold a string: the call is in a loop, or an earlier call wrote to the destination; or
* subtracts the current length but not the NUL (``sizeof(buf) - strlen(buf)``).

A call under a condition that reads the destination's length (``if (strlen(out) + strlen(s) <
sizeof(out))``) is not reported: that check decides whether the append fits.

CodeQL counterpart: ``cpp/unsafe-strncat`` ("Potentially unsafe call to strncat": a size
argument equal to the destination's size, or its size minus its length without the NUL); also
clang's ``unix.cstring.BadSizeArg``. Deliberate differences: a bound that is a named constant
(``kMaxPath``, a macro) or the source's length counts too, not only ``sizeof(dst)``, since it
is just as blind to what ``dst`` holds; and a first append into a destination that nothing has
written yet is not reported (``strncat`` into an empty buffer behaves like a bounded copy).
"""

from __future__ import annotations

import re

import clang.cindex as ci

from seccodegen.judge.dataflow import FunctionFacts, ast
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit

K = ci.CursorKind
WRITERS = {"strcpy", "strncpy", "strcat", "strncat", "sprintf", "snprintf", "memcpy", "memmove", "stpcpy"}


def _length_reads(expr, dest: str) -> bool:
    """``expr`` reads the destination's current length: ``strlen(dest)``, ``strnlen(dest, ..)``."""
    for n in expr.walk_preorder():
        if n.kind == K.CALL_EXPR and n.spelling in ("strlen", "strnlen"):
            args = ast.call_args(n)
            if args and ast.base_var(args[0]) == dest:
                return True
    return False


def _minus_one(expr) -> bool:
    """``expr`` ends in ``- k`` for a positive ``k`` (``sizeof(buf) - strlen(buf) - 1``; ``- 2``
    also keeps a byte for a newline appended next) or subtracts ``+ k``."""
    text = ast.text(expr)
    return bool(re.search(r"- [1-9]\d*\s*\)*\s*$", text) or re.search(r"- \( .*\+ [1-9]\d* \)", text))


@QUERIES.register("strncat-size")
class StrncatSize:
    rule = "strncat-size"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        hits: list[Hit] = []
        seen: set[tuple[int, int]] = set()
        written: set[str] = set()  # destinations an earlier call wrote to
        for ev in fn.events:
            if ev.kind != "call" or ev.obj is not None:
                continue
            dest = ast.base_var(ev.args[0]) if ev.args and ev.args[0] is not None else None
            if ev.name == "strncat" and len(ev.args) == 3 and dest and (ev.line, ev.column) not in seen:
                hit = self._check(ev, dest, ev.loop_depth > 0 or dest in written)
                if hit:
                    seen.add((ev.line, ev.column))
                    hits.append(hit)
            if ev.name in WRITERS and dest:
                written.add(dest)
        return hits

    def _check(self, ev, dest: str, maybe_filled: bool) -> Hit | None:
        bound = ev.args[2]
        if bound is None:
            return None
        if any(dest in g.vars or f"strlen ( {dest}" in g.text for g in ev.state.guards + tuple(ev.state.checks)):
            return None  # a check on the destination's length decides the append
        text = ast.argument_text(ev.cursor, 2) or "n"
        if _length_reads(bound, dest):
            if _minus_one(bound):
                return None
            return Hit(self.rule, ("CWE-787", "CWE-193", "CWE-120"), ev.line, ev.column,
                       f"strncat({dest}, ..., {text}) leaves no room for the NUL it appends: "
                       f"the bound must be the size minus strlen({dest}) minus 1")  # fmt: skip
        if not maybe_filled:
            return None
        return Hit(self.rule, ("CWE-787", "CWE-120"), ev.line, ev.column,
                   f"strncat({dest}, ..., {text}) bounds what is appended, not what fits: '{dest}' may "
                   f"already hold a string, so the bound must be its size minus strlen({dest}) minus 1")  # fmt: skip
