"""A write index counted up in a loop that stops on the data, never compared with the size
(CWE-787 with CWE-120).

Fires where, inside a loop whose conditions compare nothing (it stops on the data's content:
``src[i] != '\\0'``, ``*p``, ``(c = getchar()) != EOF``), a write ``buf[j] = v`` / ``buf[j++] =
v`` goes into a buffer whose element count is known (a fixed-size array, a block of known size,
or a pointer parameter with its size parameter: :mod:`.buffer_pairs`) at an index ``j`` that the
loop increases (``j++``, ``++j``, ``j += k``) and that no condition on the way reads, except as a
subscript of another buffer (``src[i]``): a decoder or copy loop that fills ``dst`` for as long as
the source lasts, e.g. a URL decoder given ``dst`` and ``dst_size`` that never tests ``j <
dst_size - 1``. A source whose length is known to fit (a string literal copied into a larger
buffer) is not reported, nor a loop that scans the written buffer itself at the index
(``name[i] = tolower(name[i])`` while ``name[i]`` is not the NUL: the index stays in the string).

CodeQL counterparts: ``cpp/unbounded-write`` and ``cpp/overflow-destination`` (range analysis
finds no upper bound of the loop-carried index). Deliberate differences: any comparison in a
loop condition, or any condition that reads the index, counts as a bound without being proved;
increments of a pointer (``*out++ = c``) are not followed; loops with ``break`` on a size test
count through that test (a condition that reads the index).
"""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast, values
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.buffer_pairs import size_pairs
from seccodegen.judge.dataflow.queries.origins import RELATIONS, is_integer, only_subscripted
from seccodegen.judge.dataflow.queries.out_of_bounds import array_size, written_offsets

K = ci.CursorKind
LOOPS = (K.FOR_STMT, K.WHILE_STMT, K.DO_STMT)


def _index_var(index) -> str | None:
    """``j`` of an index written ``j``, ``j++`` or ``++j``."""
    c = ast.strip(index)
    if c is not None and c.kind == K.UNARY_OPERATOR and ast.unary_op(c) == "++":
        c = ast.strip(ast.children(c)[0]) if ast.children(c) else None
    return ast.var_name(c) if c is not None else None


def _condition(loop):
    """The condition expression of a ``for``/``while``/``do`` (None for ``for (;;)``)."""
    kids = ast.children(loop)
    if loop.kind == K.FOR_STMT:
        return ast.for_parts(loop, kids)[1]
    if loop.kind == K.WHILE_STMT:
        return kids[0] if kids else None
    return kids[-1] if kids else None


def _increments(loop, var: str, parents: dict) -> bool:
    """The loop (its body or its increment) increases ``var`` (``var++``, ``++var``, ``var += k``),
    and every loop between such an increment and ``loop`` (``loop`` included) stops on the data
    alone (its condition compares nothing: ``while (pos < len) payload[pos++] = ...`` is bounded
    by ``len``, another question)."""
    found = False
    for n in loop.walk_preorder():
        grows = False
        if n.kind == K.UNARY_OPERATOR and ast.unary_op(n) == "++":
            grows = bool(ast.children(n)) and ast.var_name(ast.children(n)[0]) == var
        elif n.kind == K.COMPOUND_ASSIGNMENT_OPERATOR and ast.binary_op(n) == "+=":
            grows = bool(ast.children(n)) and ast.var_name(ast.children(n)[0]) == var
        if not grows:
            continue
        found = True
        up = n
        while up is not None:
            if up.kind in LOOPS:
                cond = _condition(up)
                if cond is not None and set(RELATIONS) & set(ast.tokens(cond)):
                    return False
            if up == loop:
                break
            up = parents.get(up)
    return found


def _enclosing_loop(cursor, parents: dict):
    up = parents.get(cursor)
    while up is not None and up.kind not in LOOPS:
        up = parents.get(up)
    return up


def _source_fits(ev: Event, count: int | None) -> bool:
    """The loop's condition reads a string whose length is known and leaves room in the buffer."""
    if count is None:
        return False
    for g in ev.state.guards:
        if not g.loop:
            continue
        for v in g.vars:
            n = ev.state.strlens.get(v)
            if n is not None and n < count:
                return True
    return False


def _scans_itself(fn: FunctionFacts, ev: Event, loop, base_expr, var: str) -> bool:
    """A condition on the way, or a loop inside ``loop``, reads the written buffer at the index
    (``while (name[i] && name[i] != '\\n') name[i] = tolower(name[i]);``): the index stays within
    the string the buffer holds."""
    element = " ".join(ast.tokens(base_expr)) + f" [ {var} ]"
    if any(element in g.text for g in list(ev.state.guards) + list(ev.state.checks)):
        return True
    return any(
        g.loop and element in g.text
        for other in fn.events
        if ast.within(other.cursor, loop)
        for g in other.state.guards
    )


@QUERIES.register("counted-write")
class CountedWrite:
    rule = "counted-write"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        if not fn.events or fn.cursor is None:
            return []
        writes = written_offsets(fn)
        pairs = size_pairs(fn)
        parents = ast.parents(fn.cursor)
        hits: list[Hit] = []
        seen: set[int] = set()
        for ev in fn.events:
            if (
                ev.loop_depth == 0
                or ev.kind != "deref"
                or ev.cursor.kind != K.ARRAY_SUBSCRIPT_EXPR
                or not ev.args
            ):
                continue
            if ev.cursor.extent.start.offset not in writes or ev.cursor.extent.start.offset in seen:
                continue
            base_expr = ast.children(ev.cursor)[0]
            var, base = _index_var(ev.args[0]), ast.var_name(base_expr)
            if var is None or not is_integer(ast.strip(ev.args[0])):
                continue
            count = array_size(base_expr) or values.element_count(base_expr, ev.state)
            sizes = sorted(s for b, s in pairs if b == base)
            if count is None and not sizes:
                continue
            loops = [g for g in ev.state.guards if g.loop]
            if not loops or any(set(RELATIONS) & set(g.text.split()) for g in loops):
                continue  # not inside a loop that stops on the data alone
            read = [g for g in list(ev.state.guards) + list(ev.state.checks) if var in g.text.split()]
            if any(not only_subscripted(g.text.split(), var) for g in read):
                continue  # a condition reads the index: a bound of some kind
            loop = _enclosing_loop(ev.cursor, parents)
            if loop is None or not _increments(loop, var, parents) or _source_fits(ev, count):
                continue
            if _scans_itself(fn, ev, loop, base_expr, var):
                continue
            seen.add(ev.cursor.extent.start.offset)
            size = str(count) if count is not None else f"'{sizes[0]}'"
            hits.append(Hit(self.rule, ("CWE-787", "CWE-120"), ev.line, ev.column,
                            f"'{ast.compact(base_expr)}[{var}]' in a loop that stops only on the data: '{var}' grows"
                            f" and is never compared with the buffer's size ({size})"))  # fmt: skip
        return hits
