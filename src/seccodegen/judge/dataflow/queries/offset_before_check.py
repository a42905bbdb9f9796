"""An array read whose offset is range-checked only after it, in the same ``&&`` (CWE-125).

Fires on ``a[i] ... && i < n`` (also ``n > i``, ``i <= n``): the left operand of a logical and
reads ``a[i]`` with ``i`` a plain variable, and the right operand is the range check of ``i``.
``&&`` evaluates left to right, so the read happens before the check that was meant to guard it:
``while (src[i] != '\\0' && i < size)`` reads ``src[size]`` when the loop reaches it, and
``for (i = start; str[i] && i < len; i++)`` reads wherever ``start`` points. A check of ``i``
to the left of the read in an enclosing ``&&`` (``i < n && a[i] && i < m``) protects it.

CodeQL counterpart: ``cpp/offset-use-before-range-check`` ("Array offset used before range
check", security-extended suite), which matches the same shape syntactically. Deliberate
differences: CodeQL tags it CWE-120 and CWE-125; this query reports CWE-125 only (the access
is a read in a condition, not a copy), so it decides CWE-119/125 scenarios and not CWE-787
ones. Besides CodeQL's ``i < n`` it accepts the same check written ``n > i``, ``i <= n`` or
``n >= i``.
"""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import FunctionFacts, ast
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit

K = ci.CursorKind
UPPER_CHECKS = {"<": "left", "<=": "left", ">": "right", ">=": "right"}  # operator -> side of the offset


def _unwrap(c):
    while c is not None and c.kind in (K.PAREN_EXPR, K.UNEXPOSED_EXPR):
        kids = ast.children(c)
        if len(kids) != 1:
            break
        c = kids[0]
    return c


def _range_checked(cond, var: str) -> bool:
    """``cond`` is (or is an ``&&`` of terms one of which is) an upper check of ``var``."""
    cond = _unwrap(cond)
    if cond is None or cond.kind != K.BINARY_OPERATOR:
        return False
    op = ast.binary_op(cond)
    kids = ast.children(cond)
    if op == "&&" and len(kids) == 2:
        return _range_checked(kids[0], var) or _range_checked(kids[1], var)
    if op not in UPPER_CHECKS or len(kids) != 2:
        return False
    side = kids[0] if UPPER_CHECKS[op] == "left" else kids[1]
    return ast.var_name(ast.strip(side)) == var


def _reads(left) -> list[tuple[object, str]]:
    """The ``a[i]`` reads in ``left`` (also a C++ ``operator[]``) whose offset is a plain variable ``i``."""
    out = []
    for n in left.walk_preorder():
        index = None
        if n.kind == K.ARRAY_SUBSCRIPT_EXPR:
            kids = ast.children(n)
            index = ast.strip(kids[1]) if len(kids) == 2 else None
        elif n.kind == K.CALL_EXPR and n.spelling == "operator[]":  # a container's or string's s[i]
            args = ast.call_args(n)
            index = ast.strip(args[-1]) if len(args) == 2 else None
        var = ast.var_name(index) if index is not None and index.kind == K.DECL_REF_EXPR else None
        if var:
            out.append((n, var))
    return out


@QUERIES.register("offset-use-before-range-check")
class OffsetUseBeforeRangeCheck:
    rule = "offset-use-before-range-check"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        if fn.cursor is None:
            return []
        ands = [  # (left, right) operands of every && in the function
            kids for n in fn.cursor.walk_preorder()
            if n.kind == K.BINARY_OPERATOR and ast.binary_op(n) == "&&" and len(kids := ast.children(n)) == 2
        ]  # fmt: skip
        hits: list[Hit] = []
        seen: set[int] = set()
        for left, right in ands:
            for access, var in _reads(left):
                if access.extent.start.offset in seen or not _range_checked(right, var):
                    continue
                guarded = any(  # i < n && a[i] ... : an earlier term of an enclosing && checks i
                    ast.within(access, later) and _range_checked(earlier, var) for earlier, later in ands
                )
                if guarded:
                    continue
                seen.add(access.extent.start.offset)
                loc, read = access.extent.start, "".join(ast.tokens(access))
                message = f"'{read}' is read before the range check of '{var}' to its right"
                hits.append(Hit(self.rule, ("CWE-125",), loc.line, loc.column, message))
        return hits
