"""A loop counter of a narrow type compared with a wider bound (CWE-190, CWE-197, CWE-835).

Fires where a loop's condition compares a ``char``/``short`` variable (signed or unsigned: fewer
than 4 bytes) with ``<``, ``<=``, ``>`` or ``>=`` against a value of a wider type that is not a
constant the narrow type can hold, and the loop changes the narrow variable (``++``, ``--``,
``+=``, ``-=``, an assignment). When the bound exceeds the narrow type's range the counter wraps
(or, signed, overflows) before reaching it: ``for (short i = 0; i < n; i++)`` with ``n`` of
40,000 never ends and, where ``i`` indexes memory, reads and writes at negative offsets.

CodeQL counterpart: ``cpp/comparison-with-wider-type`` (which likewise leaves out counters of
``int`` or wider: those need a bound past 2^31). Deliberate differences: CodeQL's range analysis
can prove a wide bound small (``n`` checked ``<= 100`` first); here only a bound that is a
constant, or a variable the function only ever assigns constants that fit, counts as small.
"""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import FunctionFacts, ast, values
from seccodegen.judge.dataflow.facts import State
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.comparisons import RELATIONS
from seccodegen.judge.dataflow.queries.origins import is_unsigned

K = ci.CursorKind
T = ci.TypeKind
LOOPS = {K.FOR_STMT: "for", K.WHILE_STMT: "while", K.DO_STMT: "do"}
CHANGES = {"++", "--", "+=", "-=", "=", "*=", "<<="}


def _size(c) -> int:
    """Bytes of ``c``'s type (-1 when libclang does not know it)."""
    try:
        return c.type.get_canonical().get_size()
    except Exception:  # noqa: BLE001  (an incomplete or dependent type has no size)
        return -1


def _narrow_counter(c) -> str | None:
    """The name of a ``char``/``short`` variable that ``c`` reads as it is (no explicit cast)."""
    inner = ast.strip(c)
    if inner is None or inner.kind != K.DECL_REF_EXPR:
        return None
    kind = inner.type.get_canonical().kind
    return inner.spelling if kind in ast.INTEGER_KINDS and 0 < _size(inner) < 4 else None


def _fits(c, narrow, fn: FunctionFacts) -> bool:
    """``c`` (the wide side) is a constant that ``narrow``'s type holds: a literal, an expression
    of literals, or a variable the function only ever assigns such constants."""
    no_facts = State()
    value = values.const_value(c, no_facts)
    if value is None:
        name = ast.var_name(ast.strip(c))
        assigned = [ev.args[0] for ev in fn.events if ev.kind == "assign" and ev.name == name and ev.args]
        consts = [values.const_value(a, no_facts) if a is not None else None for a in assigned]
        if not name or not consts or None in consts:
            return False
        value = max(consts, key=abs)
    bits = 8 * _size(ast.strip(narrow))
    low, high = (
        (0, 2**bits - 1) if is_unsigned(ast.strip(narrow)) else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    )
    return low <= value <= high


def _changed_in(loop, name: str) -> bool:
    """The loop (its increment or body) writes ``name``."""
    for n in loop.walk_preorder():
        if n.kind in (K.UNARY_OPERATOR, K.COMPOUND_ASSIGNMENT_OPERATOR, K.BINARY_OPERATOR):
            op = ast.unary_op(n) if n.kind == K.UNARY_OPERATOR else ast.binary_op(n)
            kids = ast.children(n)
            if op in CHANGES and kids and ast.var_name(ast.strip(kids[0])) == name:
                return True
    return False


@QUERIES.register("comparison-with-wider-type")
class ComparisonWithWiderType:
    rule = "comparison-with-wider-type"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        if fn.cursor is None:
            return []
        hits: list[Hit] = []
        for loop in fn.cursor.walk_preorder():
            if loop.kind not in LOOPS:
                continue
            cond, _body = ast.loop_parts(loop)
            for rel in cond.walk_preorder() if cond is not None else ():
                if rel.kind == K.BINARY_OPERATOR and ast.binary_op(rel) in RELATIONS:
                    hit = self._compare(fn, loop, rel)
                    if hit:
                        hits.append(hit)
        return hits

    def _compare(self, fn: FunctionFacts, loop, rel) -> Hit | None:
        kids = ast.children(rel)
        if len(kids) != 2:
            return None
        for narrow, wide in ((kids[0], kids[1]), (kids[1], kids[0])):
            name = _narrow_counter(narrow)
            if name is None:
                continue
            small = _size(ast.strip(narrow))
            wide_bytes = _size(ast.strip(wide))
            if wide_bytes <= small or _fits(wide, narrow, fn) or not _changed_in(loop, name):
                continue
            bound = ast.compact(wide)
            loc = rel.location
            return Hit(
                self.rule, ("CWE-190", "CWE-197", "CWE-835"), loc.line, loc.column,
                f"'{name}' ({small}-byte) is compared with the wider '{bound}' ({wide_bytes}-byte) in a "
                f"{LOOPS[loop.kind]} loop: it wraps before a bound past its range",
            )  # fmt: skip
        return None
