"""What an index, or a copy's count, reads: the field or variable behind it, one element of a
buffer and the range of the type it is read as, a clamp written in place, a field the function
gives no input, a bound written as one token, and which accesses write. Shared by
``out-of-bounds``, ``off-by-one-bound``, ``counted-write``, ``accumulated-offset`` and
``unsigned-index-wrap``."""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast, tainted, values
from seccodegen.judge.dataflow.queries.comparisons import RELATIONS, literal_value

K = ci.CursorKind


def decl_ref(c, name: str):
    """Where ``c`` reads variable ``name``: the field read through it where there is one
    (``r.slot``, ``r->slot``: the field's type is the value's), else the variable itself."""
    for n in c.walk_preorder():
        if (
            n.kind == K.MEMBER_REF_EXPR
            and ast.base_var(n) == name
            or n.kind == K.DECL_REF_EXPR
            and n.spelling == name
        ):
            return n
    return None


# value ranges of the element types an index may be read as (char is signed on the targets here)
ELEMENT_RANGES = {
    ci.TypeKind.CHAR_S: (-128, 127), ci.TypeKind.SCHAR: (-128, 127), ci.TypeKind.CHAR_U: (0, 255),
    ci.TypeKind.UCHAR: (0, 255), ci.TypeKind.SHORT: (-32768, 32767), ci.TypeKind.USHORT: (0, 65535),
    ci.TypeKind.WCHAR: (-(2**31), 2**31 - 1),
}  # fmt: skip
CASTS = {K.CSTYLE_CAST_EXPR, K.CXX_STATIC_CAST_EXPR, K.CXX_FUNCTIONAL_CAST_EXPR}
def element_read(index) -> tuple[object, int, int] | None:
    """(element, lowest, highest) when ``index`` is one element of a buffer or string
    (``line[i]``, ``*p``, ``s[i]``) read as a narrow type: an explicit cast's type if there is
    one (``(unsigned char)line[i]``), else the element's own type; None for anything else."""
    c = index
    while c is not None and c.kind in (K.UNEXPOSED_EXPR, K.PAREN_EXPR):  # implicit promotions
        kids = ast.children(c)
        c = kids[0] if len(kids) == 1 else None
    if c is None:
        return None
    as_type = c.type
    inner = ast.strip(c) if c.kind in CASTS else c
    if inner is None:
        return None
    is_element = (
        inner.kind == K.ARRAY_SUBSCRIPT_EXPR
        or (inner.kind == K.UNARY_OPERATOR and ast.unary_op(inner) == "*")
        or (inner.kind == K.CALL_EXPR and ast.call_name(inner) == "operator[]")
    )
    bounds = ELEMENT_RANGES.get(as_type.get_canonical().kind)
    return (inner, *bounds) if is_element and bounds else None


def clamped_in_place(index, var: str) -> bool:
    """The index expression itself clamps ``var``: ``len < N ? len : N - 1``, ``std::min(var, K)``."""
    toks = ast.tokens(index)
    if "?" in toks:
        cond = toks[: toks.index("?")]
        return var in cond and any(t in RELATIONS for t in cond)
    return "min" in toks and var in toks


def field_given_no_input(fn: FunctionFacts, member) -> bool:
    """``member`` (``r.slot``) is a field this function assigns (a field write taints the whole
    struct), and no value it assigns there carries input or a parameter's value. A field the
    function never assigns is judged by the struct's taint (filled by ``fread(&r, ...)`` or a
    reader of the file)."""
    key = ast.path_key(member) if member is not None and member.kind == K.MEMBER_REF_EXPR else None
    if key is None:
        return False
    given = [
        (ev.args[0], ev) for ev in fn.events
        if ev.kind == "assign" and ev.args and ev.cursor.kind == K.BINARY_OPERATOR
        and ast.children(ev.cursor) and ast.path_key(ast.children(ev.cursor)[0]) == key
    ]  # fmt: skip
    return bool(given) and not any(v is None or tainted(v, ev.state, params=True) for v, ev in given)


def token_value(token: str, ev: Event) -> int | None:
    """A bound written as one token: a literal, or a variable holding a known constant there."""
    lit = literal_value(token)
    return lit if lit is not None else ev.state.consts.get(token)


def written_offsets(fn: FunctionFacts) -> set[int]:
    """Start offsets of the accesses the function writes: ``a[i] = v``, ``a[i] += v``, ``a[i]++``."""
    writes = set()
    for ev in fn.events:
        if ev.kind == "assign" and hasattr(ev.cursor, "get_children"):
            kids = ast.children(ev.cursor)
            if ev.cursor.kind in (K.BINARY_OPERATOR, K.COMPOUND_ASSIGNMENT_OPERATOR) and kids:
                writes.add(ast.strip(kids[0]).extent.start.offset)
        elif ev.kind == "arith" and ev.name in ("++", "--") and ev.args and ev.args[0] is not None:
            writes.add(ast.strip(ev.args[0]).extent.start.offset)
        elif ev.kind == "call" and ev.name == "operator=" and (target := ev.obj if ev.obj is not None else
                                                                  (ev.args[0] if ev.args else None)) is not None:
            writes.add(ast.strip(target).extent.start.offset)  # slots[k] = t of a struct: its copy assignment
        elif ev.kind == "call" and ev.cursor.kind == K.CALL_EXPR:  # std::cin >> a[i]: the callee writes a[i]
            for pos in values.reference_out_args(ev.cursor, len(ev.args)):
                if pos < len(ev.args) and (arg := ast.strip(ev.args[pos])) is not None:
                    writes.add(arg.extent.start.offset)
    return writes
