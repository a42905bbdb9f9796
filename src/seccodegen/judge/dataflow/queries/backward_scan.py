"""A backward scan from the end of a string or buffer that nothing stops at its first element
(CWE-125/119, CWE-787 where the scan writes).

Fires on a loop whose condition reads an element through a variable (``s[i]``, ``s[len - 1]``,
``*end``, ``*it``) that the loop decrements (``--i``, ``len--``, ``end -= 1``), where that
variable starts from the end of the data (its value before the loop comes from ``size()``,
``length()``, ``strlen``, ``end()``...) and neither the condition nor a test in the loop's body
reads the variable other than through that element access. The loop then stops only on the
data's content: ``while (isspace(s[i])) --i;`` over a line of spaces (or an empty one) walks
below ``s[0]``, reading, and where it writes, writing, before the buffer. The safe forms bound
the position: ``while (i > 0 && isspace(s[i - 1]))``, ``while (end > s && ...)``,
``while (!line.empty() && isspace(line.back()))``.

CodeQL has no query of exactly this shape; the nearest are ``cpp/overflow-buffer`` and the
out-of-bounds queries driven by range analysis (``cpp/overrun-write``, ``cpp/invalid-pointer-deref``),
which find such a read when the lower bound of the index reaches -1. Deliberate differences: only
loops whose position starts at the end of the data and is tested nowhere; a scan for a character
the code has made sure is there (``strrchr`` first, then the loop) is still reported.
"""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import FunctionFacts, ast
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit

K = ci.CursorKind
LOOPS = (K.WHILE_STMT, K.DO_STMT, K.FOR_STMT)
END_MARKERS = ("size", "length", "strlen", "wcslen", "end", "strnlen")  # calls that give a data's end
COMPARISONS = {"<", ">", "<=", ">=", "==", "!="}


def _decremented(nodes) -> set[str]:
    """Variables the nodes decrement: ``--v``, ``v--``, ``v -= k``, ``v = v - k``."""
    out: set[str] = set()
    for root in nodes:
        for n in root.walk_preorder():
            if n.kind == K.UNARY_OPERATOR and ast.unary_op(n) == "--":
                kids = ast.children(n)
                if kids and (name := ast.var_name(kids[0])):
                    out.add(name)
            elif n.kind == K.COMPOUND_ASSIGNMENT_OPERATOR and ast.binary_op(n) == "-=":
                kids = ast.children(n)
                if kids and (name := ast.var_name(kids[0])):
                    out.add(name)
            elif n.kind == K.CALL_EXPR and n.spelling == "operator--":
                args = list(n.get_arguments()) or ast.children(n)[1:]
                if args and (name := ast.var_name(args[0])):
                    out.add(name)
    return out


def _accesses(cond) -> list:
    """Element reads in ``cond``: ``a[i]``, ``s[i]`` (operator[]), ``*p``, ``*it`` (operator*)."""
    out = []
    for n in cond.walk_preorder():
        if n.kind == K.ARRAY_SUBSCRIPT_EXPR:
            kids = ast.children(n)
            if len(kids) == 2:
                out.append((n, kids[1], kids[0]))
        elif n.kind == K.UNARY_OPERATOR and ast.unary_op(n) == "*":
            kids = ast.children(n)
            if kids:
                out.append((n, kids[0], None))
        elif n.kind == K.CALL_EXPR and n.spelling in ("operator[]", "operator*"):
            kids = [k for k in ast.children(n) if ast.strip(k) is not None]
            # operator[]: (callee, object, index) in libclang's order; operator*: (callee, object)
            objs = [k for k in kids if not (ast.strip(k).kind == K.DECL_REF_EXPR and ast.strip(k).spelling == n.spelling)]
            if n.spelling == "operator[]" and len(objs) >= 2:
                out.append((n, objs[-1], objs[0]))
            elif n.spelling == "operator*" and objs:
                out.append((n, objs[-1], None))
    return out


def _refs_outside(root, var: str, skip: list) -> bool:
    """``root`` reads ``var`` somewhere other than inside the element accesses ``skip``."""
    for n in root.walk_preorder():
        if n.kind == K.DECL_REF_EXPR and n.spelling == var and ast.var_name(n) == var:
            if not any(ast.within(n, s) for s in skip):
                return True
    return False


def _tested_in_body(body_nodes, var: str) -> bool:
    """An ``if``/conditional in the loop's body tests ``var`` (e.g. ``if (i == 0) break;``)."""
    for root in body_nodes:
        for n in root.walk_preorder():
            if n.kind in (K.IF_STMT, K.CONDITIONAL_OPERATOR) and (kids := ast.children(n)):
                cond = kids[0]
                if _refs_outside(cond, var, [a for a, _i, _o in _accesses(cond)]):
                    return True
    return False


def _start_value(fn_cursor, var: str, before: int):
    """The expression ``var`` last got before offset ``before`` (declaration or assignment)."""
    last = None
    for n in fn_cursor.walk_preorder():
        if n.extent.start.offset >= before:
            continue
        if n.kind == K.VAR_DECL and n.spelling == var:
            kids = [k for k in ast.children(n) if k.kind not in (K.TYPE_REF, K.NAMESPACE_REF, K.TEMPLATE_REF)]
            if kids:
                last = (n.extent.start.offset, kids[-1])
        elif n.kind == K.BINARY_OPERATOR and ast.binary_op(n) == "=":
            kids = ast.children(n)
            if len(kids) == 2 and ast.var_name(kids[0]) == var:
                if last is None or n.extent.start.offset > last[0]:
                    last = (n.extent.start.offset, kids[1])
    return last[1] if last else None


def _from_end(fn_cursor, expr, before: int, depth: int = 0) -> bool:
    """``expr`` is (or derives from a variable set to) the end of some data."""
    if expr is None:
        return False
    for n in expr.walk_preorder():
        if n.kind in (K.CALL_EXPR, K.MEMBER_REF_EXPR) and n.spelling in END_MARKERS:
            return True
        if n.kind == K.CALL_EXPR and n.spelling in ("prev", "rbegin"):
            return True
    if depth < 2:
        for name in ast.refs(expr):
            if _from_end(fn_cursor, _start_value(fn_cursor, name, expr.extent.start.offset), before, depth + 1):
                return True
    return False


@QUERIES.register("unbounded-backward-scan")
class UnboundedBackwardScan:
    rule = "unbounded-backward-scan"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        if fn.cursor is None:
            return []
        hits: list[Hit] = []
        for loop in fn.cursor.walk_preorder():
            if loop.kind not in LOOPS:
                continue
            cond, body = ast.loop_parts(loop)
            if cond is None or not body:
                continue
            accesses = _accesses(cond)
            if not accesses:
                continue
            skip = [a for a, _i, _o in accesses]
            for var in sorted(_decremented(body)):
                reading = [a for a, index, _o in accesses if var in ast.refs(index)]
                if not reading or _refs_outside(cond, var, skip) or _tested_in_body(body, var):
                    continue
                start = cond.extent.start.offset  # after a for's own init
                if not _from_end(fn.cursor, _start_value(fn.cursor, var, start), start):
                    continue
                access = reading[0]
                writes = any(_writes_through(b, var) for b in body)
                cwes = ("CWE-125", "CWE-119", "CWE-787") if writes else ("CWE-125", "CWE-119")
                hits.append(Hit(self.rule, cwes, access.location.line, access.location.column,
                                f"the loop walks '{var}' down from the end of the data and stops only on "
                                f"'{''.join(ast.tokens(access))[:40]}': data with no stopping element (all "
                                f"spaces, or empty) takes it below the first element"))  # fmt: skip
                break
        return hits


def _writes_through(root, var: str) -> bool:
    """``root`` assigns to an element addressed through ``var`` (``s[i] = 0``, ``*end = '\\0'``)."""
    for n in root.walk_preorder():
        if n.kind in (K.BINARY_OPERATOR, K.COMPOUND_ASSIGNMENT_OPERATOR) and ast.binary_op(n).endswith("="):
            if ast.binary_op(n) in COMPARISONS:
                continue
            kids = ast.children(n)
            if kids and var in ast.refs(kids[0]) and _accesses(kids[0]):
                return True
    return False
