"""A growable array that grows one element too late (CWE-193 with CWE-787).

Fires where a block ``v`` whose every allocation in the function holds ``cap`` elements
(``v = malloc(cap * sizeof *v)``, ``calloc(cap, sizeof(int))``, ``v = realloc(v, cap *
sizeof(int))``, ``malloc(cap)`` for bytes) is grown under ``if (n > cap)`` (or ``cap < n``) and
the statement after that ``if`` writes ``v[n]`` or ``v[n++]``: when ``n`` equals ``cap`` the
block is not grown and the write lands one element past its end. ``n >= cap``, ``n == cap`` and
``n + 1 > cap`` grow in time.

The weakness modelled is the direction of the growth test against the count the block was
allocated with, read from the allocations themselves (never from the variables' names); a block
allocated with any other size (``cap + 1``) or a count that differs between allocations is not
reported. CodeQL counterpart: ``cpp/overrun-write`` (range analysis of the index against the
allocation's size); CodeQL's range analysis does not follow a size that changes in a loop, so
this is a pattern check on the growth test.
"""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import FunctionFacts, ast
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit

K = ci.CursorKind
ALLOCATORS = {"malloc", "calloc", "realloc"}
GROWTH = ("CWE-193", "CWE-787")


def _without_sizeof(toks: list[str]) -> list[str]:
    """``toks`` with every ``sizeof ( ... )`` / ``sizeof * p`` / ``sizeof p`` group dropped."""
    out, i = [], 0
    while i < len(toks):
        if toks[i] != "sizeof":
            out.append(toks[i])
            i += 1
            continue
        i += 1
        if toks[i : i + 1] == ["("]:
            depth = 0
            while i < len(toks):
                depth += (toks[i] == "(") - (toks[i] == ")")
                i += 1
                if depth == 0:
                    break
        else:
            while i < len(toks) and toks[i] in ("*", "&"):
                i += 1
            i += 1
    return out


def _counted_by(call) -> str | None:
    """The variable an allocation call's element count is: ``malloc(cap * sizeof(int))``,
    ``calloc(cap, sizeof *v)``, ``realloc(v, sizeof(int) * cap)`` give ``cap``."""
    name, args = ast.call_name(call), ast.call_args(call)
    sizes = args[1:] if name == "realloc" else args
    left = [t for a in sizes for t in _without_sizeof(ast.tokens(a))]
    names = [t for t in left if t.isidentifier()]
    return names[0] if len(names) == 1 and set(left) - {names[0]} <= {"*", "(", ")"} else None


def _allocations(fn_cursor) -> dict[str, list]:
    """Variable -> the allocation calls stored in it (declarations and assignments), with those
    of a variable copied into it (``t = realloc(v, ...); ... v = t;``)."""
    out: dict[str, list] = {}
    copies: list[tuple[str, str]] = []
    for c in fn_cursor.walk_preorder():
        target, value = None, None
        if c.kind == K.VAR_DECL:
            kids = ast.children(c)
            target, value = c.spelling, (kids[-1] if kids else None)
        elif c.kind == K.BINARY_OPERATOR and ast.binary_op(c) == "=" and len(ast.children(c)) == 2:
            target, value = ast.var_name(ast.children(c)[0]), ast.children(c)[1]
        value = ast.strip(value)
        if not target or value is None:
            continue
        if value.kind == K.CALL_EXPR and ast.call_name(value) in ALLOCATORS:
            out.setdefault(target, []).append(value)
        elif value.kind == K.DECL_REF_EXPR and (source := ast.var_name(value)):
            copies.append((target, source))
    for target, source in copies:
        if target in out and source in out:
            out[target] = out[target] + out[source]
    return out


def _grows(var: str, calls: list) -> bool:
    """One of ``calls`` is ``realloc(var, ...)``."""
    return any(ast.call_name(c) == "realloc" and ast.var_name(ast.call_args(c)[0]) == var for c in calls)


def _late_growth(cond_tokens: list[str], cap: str) -> str | None:
    """The counter ``n`` of a growth test ``n > cap`` / ``cap < n``, else None."""
    if len(cond_tokens) != 3:
        return None
    left, op, right = cond_tokens
    if op == ">" and right == cap and left.isidentifier():
        return left
    if op == "<" and left == cap and right.isidentifier():
        return right
    return None


def _written_index(stmt, block: str) -> tuple[str, object] | None:
    """(index variable, subscript) of ``block[n] = ...`` / ``block[n++] = ...`` that ``stmt`` is."""
    s = ast.strip(stmt)
    if s is None or s.kind != K.BINARY_OPERATOR or ast.binary_op(s) != "=":
        return None
    target = ast.strip(ast.children(s)[0])
    if target is None or target.kind != K.ARRAY_SUBSCRIPT_EXPR or len(ast.children(target)) != 2:
        return None
    base, index = (ast.strip(k) for k in ast.children(target))
    if ast.var_name(base) != block or index is None:
        return None
    if index.kind == K.UNARY_OPERATOR and ast.children(index):
        index = ast.strip(ast.children(index)[0])
    name = ast.var_name(index)
    return (name, target) if name else None


@QUERIES.register("late-growth")
class LateGrowth:
    rule = "late-growth"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        if fn.cursor is None or "realloc" not in fn.body_text:
            return []
        counts = {}
        for var, calls in _allocations(fn.cursor).items():
            caps = {_counted_by(c) for c in calls}
            if len(caps) == 1 and None not in caps and _grows(var, calls):
                counts[var] = caps.pop()
        hits = []
        for block in (c for c in fn.cursor.walk_preorder() if c.kind == K.COMPOUND_STMT):
            stmts = ast.children(block)
            for before, after in zip(stmts, stmts[1:]):
                hit = self._check(before, after, counts)
                if hit:
                    hits.append(hit)
        return hits

    def _check(self, if_stmt, stmt, counts: dict[str, str]) -> Hit | None:
        if if_stmt.kind != K.IF_STMT or not ast.children(if_stmt):
            return None
        cond = ast.tokens(ast.children(if_stmt)[0])
        if len(ast.children(if_stmt)) < 2 or "realloc" not in ast.tokens(ast.children(if_stmt)[1]):
            return None
        for block, cap in counts.items():
            counter = _late_growth(cond, cap)
            written = _written_index(stmt, block) if counter else None
            if written and written[0] == counter:
                where = written[1].location
                msg = (f"'{block}' ({cap} elements) grows only when '{counter} > {cap}': at {counter} == {cap}, "
                       f"'{block}[{counter}]' writes one element past the end")  # fmt: skip
                return Hit(self.rule, GROWTH, where.line, where.column, msg)
        return None
