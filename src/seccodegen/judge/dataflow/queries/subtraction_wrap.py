"""An unsigned subtraction of input that may wrap below zero, then used as a size (CWE-191).

Fires on ``a - b`` computed in an unsigned type (``unsigned total; total - HDR_LEN``), or converted
to one where it is used (``fread(buf, 1, n - 4, f)`` of an ``int n``: the count is a ``size_t``),
where ``a`` is input (argv, getenv, ``fgets``/``scanf``/``fread`` data, through conversions and
arithmetic; a function parameter only as :mod:`.integer_overflow` counts one) and no check bounds
``a`` from below on the way (``if (total < HDR_LEN || total > MAX) return``; ``a >= b``,
``a > 0``), and the result reaches a size: an allocation, copy or read count, an index, a loop
bound, or a variable that later becomes one. A header length of 2 makes ``total - 6`` about 4
billion, and ``fread`` then writes that many bytes into a buffer of ``MAX_FRAME``.

CodeQL counterpart: ``cpp/tainted-arithmetic`` reports a subtraction of user input whose range
analysis allows a result below the type's minimum (underflow), as ``integer-overflow`` does for
``+``, ``*`` and ``<<``. Deliberate differences: reported only where the wrapped value reaches a
size (a wrapped difference that is only printed is not), so a check of the result
(``if (body_len > sizeof payload)``) counts as a guard as well; any lower check of ``a`` counts,
without proving it at least ``b``; a length of memory that exists (``strlen(s) - 1``) is
:mod:`.empty_string`'s business, not this query's.
"""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.integer_overflow import SIZE_ARGS, _reaches_sink
from seccodegen.judge.dataflow.queries.origins import (
    LENGTH_CALLS,
    Origins,
    bound_sides,
    clamped,
    is_integer,
    is_unsigned,
    uncontrolled_var,
)

K = ci.CursorKind


def _unsigned_where_used(node, parents: dict) -> bool:
    """``node``'s value is unsigned: computed so, or converted implicitly (a size parameter, an
    unsigned variable it initialises or is assigned to)."""
    if is_unsigned(node):
        return True
    up = parents.get(node)
    while up is not None and up.kind in (K.UNEXPOSED_EXPR, K.PAREN_EXPR):
        if up.kind == K.UNEXPOSED_EXPR and is_integer(up) and is_unsigned(up):
            return True
        up = parents.get(up)
    return up is not None and up.kind == K.VAR_DECL and is_integer(up) and is_unsigned(up)


def _result_checked(fn: FunctionFacts, node, parents: dict, ev: Event) -> bool:
    """The difference is stored (``n = total - 6``) and a later check reads it before its use
    as a size (``if (n > sizeof buf) return``): checked like any input count."""
    stored = ""
    up = parents.get(node)
    while up is not None and up.kind in (K.UNEXPOSED_EXPR, K.PAREN_EXPR):
        up = parents.get(up)
    if up is not None and up.kind == K.VAR_DECL:
        stored = up.spelling
    elif up is not None and up.kind == K.BINARY_OPERATOR and ast.binary_op(up) == "=":
        stored = ast.base_var(ast.children(up)[0]) or ""
    if not stored:
        return False
    for later in fn.events:
        if later.line <= ev.line or later.kind != "call" or later.name not in SIZE_ARGS:
            continue
        sizes = [later.args[i] for i in SIZE_ARGS[later.name] if i < len(later.args)]
        if any(a is not None and stored in ast.refs(a) for a in sizes):
            return any(stored in g.vars for g in list(later.state.guards) + list(later.state.checks))
    return False


@QUERIES.register("subtraction-wrap")
class SubtractionWrap:
    rule = "subtraction-wrap"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        if fn.cursor is None or not fn.events:
            return []
        origins = Origins.of(fn)
        parents: dict | None = None
        hits: list[Hit] = []
        seen: set[tuple[int, int]] = set()
        for ev in fn.events:
            c = ev.cursor
            if ev.kind != "arith" or ev.name != "-" or (ev.line, ev.column) in seen:
                continue
            if c.kind != K.BINARY_OPERATOR or not is_integer(c):
                continue
            kids = ast.children(c)
            if len(kids) != 2 or ast.calls_in(kids[0]) & LENGTH_CALLS:
                continue
            parents = parents if parents is not None else ast.parents(fn.cursor)
            hit = self._check(fn, c, kids, ev, origins, parents)
            if hit:
                seen.add((ev.line, ev.column))
                hits.append(hit)
        return hits

    def _check(self, fn, node, kids: list, ev: Event, origins: Origins, parents: dict) -> Hit | None:
        left = ast.strip(kids[0])
        name = ast.var_name(left) if left is not None and left.kind == K.DECL_REF_EXPR else None
        if not name or not _unsigned_where_used(node, parents):
            return None
        why = uncontrolled_var(name, ev, origins, params=False)
        if not why or why.startswith(("a random", "an extreme")):
            return None
        if bound_sides(ev, name, directional=True)[0] or clamped(fn, ev, name):
            return None
        subtrahend = set(ast.refs(kids[1]))
        if any(subtrahend & g.vars and name in g.vars for g in list(ev.state.guards) + list(ev.state.checks)):
            return None  # a - b after a test of a against b (either way round: any order is a choice)
        if not _reaches_sink(fn, node, parents, ev, "-") or _result_checked(fn, node, parents, ev):
            return None
        loc = node.location
        return Hit(self.rule, ("CWE-191",), loc.line, loc.column,
                   f"'{ast.text(node)[:60]}' may wrap below zero: '{name}' is {why}, with no check that it is "
                   f"at least what is subtracted, and the difference is used as a size")  # fmt: skip
