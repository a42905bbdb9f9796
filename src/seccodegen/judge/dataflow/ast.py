"""Small helpers over libclang cursors: operators, callee names, the variable an expression is about.

Every helper looks through the implicit nodes clang adds (casts, parentheses, ``UNEXPOSED_EXPR``),
so that ``(char *)p``, ``(p)`` and ``p`` are the same variable ``p``.
"""

from __future__ import annotations

import ctypes
import functools
import re

import clang.cindex as ci

K = ci.CursorKind
WRAPPERS = {
    K.UNEXPOSED_EXPR, K.PAREN_EXPR, K.CSTYLE_CAST_EXPR, K.CXX_STATIC_CAST_EXPR, K.CXX_CONST_CAST_EXPR,
    K.CXX_REINTERPRET_CAST_EXPR, K.CXX_FUNCTIONAL_CAST_EXPR,
}  # fmt: skip
VAR_KINDS = {K.VAR_DECL, K.PARM_DECL}
T = ci.TypeKind
CHAR_KINDS = {T.CHAR_S, T.CHAR_U, T.SCHAR, T.UCHAR}  # narrow characters: the element of a C string
INTEGER_KINDS = CHAR_KINDS | {
    T.SHORT, T.USHORT, T.INT, T.UINT, T.LONG, T.ULONG, T.LONGLONG, T.ULONGLONG, T.INT128, T.UINT128,
}  # fmt: skip
UNSIGNED_KINDS = {T.UCHAR, T.USHORT, T.UINT, T.ULONG, T.ULONGLONG, T.UINT128, T.CHAR_U, T.BOOL}
NULL_TEXT = {"NULL", "0", "nullptr", "__null", "((void*)0)", "(void*)0", "0L"}


@functools.cache
def _op_functions():
    lib = ci.conf.lib
    out = {}
    for kind in ("Binary", "Unary"):
        get = getattr(lib, f"clang_getCursor{kind}OperatorKind")
        get.argtypes, get.restype = [ci.Cursor], ctypes.c_int
        spell = getattr(lib, f"clang_get{kind}OperatorKindSpelling")
        spell.argtypes, spell.restype, spell.errcheck = [ctypes.c_int], ci._CXString, ci._CXString.from_result
        out[kind] = (get, functools.cache(spell))
    return out


def binary_op(c) -> str:
    """``"="``, ``"+="``, ``"&&"``, ``"<"``... for a (compound) binary operator cursor."""
    get, spell = _op_functions()["Binary"]
    return spell(get(c))


def unary_op(c) -> str:
    """``"*"``, ``"&"``, ``"!"``, ``"++"``... for a unary operator cursor (pre/post not told apart)."""
    get, spell = _op_functions()["Unary"]
    return spell(get(c))


def strip(c):
    """The cursor without implicit casts, parentheses and explicit casts around it."""
    while c is not None and c.kind in WRAPPERS:
        kids = [k for k in c.get_children() if k.kind != K.TYPE_REF]
        if len(kids) != 1:
            break
        c = kids[0]
    return c


def parents(root) -> dict:
    """``{node: its parent}`` for every node under ``root``."""
    out = {}
    stack = [root]
    while stack:
        n = stack.pop()
        for k in n.get_children():
            out[k] = n
            stack.append(k)
    return out


def within(inner, outer) -> bool:
    """``inner``'s source extent lies inside ``outer``'s (or is the same)."""
    a, b = inner.extent, outer.extent
    return b.start.offset <= a.start.offset and a.end.offset <= b.end.offset


def children(c) -> list:
    return list(c.get_children())


def tokens(c) -> list[str]:
    """The source tokens of ``c`` (macro uses appear as written). An expression that starts with
    a macro (``errno != 0 || k > 100``) has an extent libclang finds no tokens in; its tokens are
    then read between the places the extent's ends expand to."""
    found = [t.spelling for t in c.get_tokens()]
    if found:
        return found
    ext = c.extent
    if ext.start.file is None or ext.end.file is None or ext.start.file.name != ext.end.file.name:
        return found
    tu = c.translation_unit
    start = ci.SourceLocation.from_position(tu, ext.start.file, ext.start.line, ext.start.column)
    end = ci.SourceLocation.from_position(tu, ext.end.file, ext.end.line, ext.end.column)
    return [t.spelling for t in tu.get_tokens(extent=ci.SourceRange.from_locations(start, end))]


def text(c) -> str:
    """The source tokens of ``c`` joined by single spaces."""
    return " ".join(tokens(c))


def _tighten_members(spaced: str) -> str:
    """``rec . owner`` -> ``rec.owner`` (also ``->``, ``::``) in space-joined tokens."""
    return re.sub(r" ?(\.|->|::) ?", r"\1", spaced)


def compact(c) -> str:
    """``text(c)`` without the token spacing, for messages: ``s.size() - 1``, ``rec.owner``."""
    return _tighten_members(re.sub(r" ?\( \)", "()", text(c)))


def argument_text(call, position: int) -> str | None:
    """The call's ``position``-th argument as written at the call, for messages (``sizeof(buf)
    - strlen(buf)``): read from the call's tokens, since a macro argument's own cursor extent
    may point into the macro's definition."""
    toks = tokens(call)
    if "(" not in toks:
        return None
    args, depth, cur = [], 0, []
    for t in toks[toks.index("(") + 1 :]:
        if t in "([{":
            depth += 1
        elif t in ")]}":
            if depth == 0:
                args.append(cur)
                break
            depth -= 1
        if t == "," and depth == 0:
            args.append(cur)
            cur = []
            continue
        cur.append(t)
    if position >= len(args):
        return None
    spaced = _tighten_members(" ".join(args[position]))
    return re.sub(r"([(\[]) | ([)\]])", r"\1\2", re.sub(r"(\w) ([(\[])", r"\1\2", spaced))


def var_name(c) -> str | None:
    """The local variable or parameter a ``DECL_REF_EXPR`` names, else None."""
    c = strip(c)
    if c is None or c.kind != K.DECL_REF_EXPR:
        return None
    ref = c.referenced
    if ref is not None and ref.kind in VAR_KINDS:
        return c.spelling
    return None


def member_object(call):
    """The object expression of a member call ``obj.f(...)``/``obj->f(...)``, else None."""
    kids = children(call)
    if kids and strip(kids[0]) is not None and strip(kids[0]).kind == K.MEMBER_REF_EXPR:
        sub = children(strip(kids[0]))
        return sub[0] if sub else None
    return None


def base_var(c) -> str | None:
    """The variable whose memory ``c`` denotes: ``p``, ``p[i]``, ``*p``, ``&p``, ``p + n``, ``s->f``,
    ``s.c_str()``, ``v[i]`` (operator[]) all give ``p``/``s``/``v``; None for anything else."""
    c = strip(c)
    for _ in range(20):  # bounded descent
        if c is None:
            return None
        if c.kind == K.DECL_REF_EXPR:
            return var_name(c)
        if c.kind in (K.ARRAY_SUBSCRIPT_EXPR, K.MEMBER_REF_EXPR):
            kids = children(c)
            if not kids:
                return None
            c = strip(kids[0])
        elif c.kind == K.UNARY_OPERATOR:
            kids = children(c)
            if not kids or unary_op(c) not in ("*", "&", "++", "--"):
                return None
            c = strip(kids[0])
        elif c.kind == K.BINARY_OPERATOR and binary_op(c) in ("+", "-"):
            kids = children(c)
            ptr = [k for k in kids if k.type.kind in (ci.TypeKind.POINTER, ci.TypeKind.CONSTANTARRAY)]
            if not ptr:
                return None
            c = strip(ptr[0])
        elif c.kind == K.CALL_EXPR:
            obj = member_object(c)
            if obj is not None and c.spelling in ("c_str", "data", "get", "front", "back", "at", "begin"):
                c = strip(obj)
            elif c.spelling in ("operator[]", "operator*", "operator->"):
                kids = list(c.get_arguments()) or children(c)[1:]
                if not kids:
                    return None
                c = strip(kids[0])
            else:
                return None
        else:
            return None
    return None


def path_key(c) -> str | None:
    """A name for the memory location ``c`` reads: ``p``, ``p->key``, ``s.buf``, ``*buf``, ``a[0]``
    (constant index only); None for anything computed."""
    c = strip(c)
    if c is None:
        return None
    if c.kind == K.DECL_REF_EXPR:
        return var_name(c)
    kids = children(c)
    if c.kind == K.MEMBER_REF_EXPR and kids:
        through = strip(kids[0])
        if through is not None and through.kind == K.CALL_EXPR and through.spelling == "operator->":
            # it->second, u->name: a member reached through an iterator's or smart pointer's ->
            inner = path_key(children(through)[0]) if children(through) else None
            return f"{inner}->{c.spelling}" if inner else None
        inner = path_key(kids[0])
        return f"{inner}{'->' if is_pointer(kids[0]) else '.'}{c.spelling}" if inner else None
    if c.kind == K.UNARY_OPERATOR and kids and unary_op(c) == "*":
        inner = path_key(kids[0])
        return f"*{inner}" if inner else None
    if c.kind == K.ARRAY_SUBSCRIPT_EXPR and len(kids) == 2 and strip(kids[1]).kind == K.INTEGER_LITERAL:
        inner = path_key(kids[0])
        return f"{inner}[{text(kids[1])}]" if inner else None
    return None


def pointer_origin(c) -> str | None:
    """The variable whose memory pointer expression ``c`` points into: ``p``, ``p + n``, ``&p[i]``,
    ``&s->f``, ``buf`` (an array), ``s.c_str()``; None for loads like ``p->next`` or ``p[i]``."""
    c = strip(c)
    if c is None:
        return None
    if c.kind == K.DECL_REF_EXPR:
        return var_name(c)
    if c.kind == K.BINARY_OPERATOR and binary_op(c) in ("+", "-"):
        ptr = [k for k in children(c) if is_pointer(k)]
        return pointer_origin(ptr[0]) if ptr else None
    if c.kind == K.UNARY_OPERATOR and unary_op(c) == "&":
        kids = children(c)
        inner = strip(kids[0]) if kids else None
        if inner is not None and inner.kind in (K.ARRAY_SUBSCRIPT_EXPR, K.MEMBER_REF_EXPR):
            return base_var(inner)
        return None
    if c.kind == K.CALL_EXPR and c.spelling in ("c_str", "data"):
        obj = member_object(c)
        return var_name(obj) if obj is not None else None
    return None


def is_null_literal(c) -> bool:
    outer, c = c, strip(c)
    if c is None:
        return False
    if c.kind in (K.GNU_NULL_EXPR, K.CXX_NULL_PTR_LITERAL_EXPR):
        return True
    if c.kind == K.INTEGER_LITERAL:  # inside a macro (C's NULL) the literal has no tokens of its own
        return text(c) in NULL_TEXT or text(c) == "" and is_pointer(outer)
    return text(c).replace(" ", "") in NULL_TEXT


def call_name(call) -> str:
    """The callee's name: ``strcpy``, ``append`` (member), ``operator+=``, ``basic_ifstream`` (constructor)."""
    return call.spelling or ""


def call_args(call) -> list:
    return list(call.get_arguments())


def is_sizeof(c) -> bool:
    if c.kind != K.CXX_UNARY_EXPR:
        return False
    toks = list(c.get_tokens())
    return bool(toks) and toks[0].spelling in ("sizeof", "alignof", "_Alignof")


def refs(c) -> set[str]:
    """Names of the variables read anywhere in ``c`` (not inside ``sizeof``)."""
    out: set[str] = set()
    stack = [c]
    while stack:
        n = stack.pop()
        if n is None or is_sizeof(n) or n.kind == K.LAMBDA_EXPR:
            continue
        if n.kind == K.DECL_REF_EXPR:
            name = var_name(n)
            if name:
                out.add(name)
        stack.extend(n.get_children())
    return out


def calls_in(c) -> set[str]:
    """Names of the functions called anywhere in ``c``."""
    return {n.spelling for n in c.walk_preorder() if n.kind == K.CALL_EXPR and n.spelling}


def is_pointer(c) -> bool:
    t = c.type.get_canonical()
    return t.kind in (ci.TypeKind.POINTER, ci.TypeKind.CONSTANTARRAY, ci.TypeKind.INCOMPLETEARRAY)


class DeclRefStandIn:
    """Stands in for a ``DECL_REF_EXPR`` naming a declared variable (declaration = assignment)."""

    def __init__(self, decl) -> None:
        self.kind = K.DECL_REF_EXPR
        self.spelling = decl.spelling
        self.referenced = decl
        self.type = decl.type

    def get_children(self):
        return iter(())


def for_parts(c, kids):
    """(init, cond, inc) of a ``for``: libclang omits the empty ones, so place them by the ``;``."""
    semis = []
    depth = 0
    for t in c.get_tokens():
        s = t.spelling
        if s == "(":
            depth += 1
        elif s == ")":
            depth -= 1
            if depth == 0:
                break
        elif s == ";" and depth == 1:
            semis.append(t.extent.start.offset)
    parts = [None, None, None]
    for kid in kids[:-1]:
        off = kid.extent.start.offset
        slot = 0 if len(semis) < 1 or off < semis[0] else 1 if len(semis) < 2 or off < semis[1] else 2
        parts[slot] = kid
    return parts[0], parts[1], parts[2]


def loop_parts(loop):
    """(condition, [body, increment]) of a ``while``/``do``/``for`` statement; (None, []) for anything
    else or a ``for`` with no condition kept by libclang."""
    kids = children(loop)
    if loop.kind == K.WHILE_STMT and len(kids) >= 2:
        return kids[-2], [kids[-1]]
    if loop.kind == K.DO_STMT and len(kids) >= 2:
        return kids[1], [kids[0]]
    if loop.kind == K.FOR_STMT and kids:
        _init, cond, inc = for_parts(loop, kids)
        return cond, [kids[-1]] + ([inc] if inc is not None else [])
    return None, []


def nonnull_when(cond, truth: bool) -> set[str]:
    """Pointer variables known non-NULL where ``cond`` evaluated to ``truth``."""
    c = strip(cond)
    if c is None:
        return set()
    if c.kind == K.UNARY_OPERATOR and unary_op(c) == "!":
        kids = children(c)
        return nonnull_when(kids[0], not truth) if kids else set()
    if c.kind == K.BINARY_OPERATOR:
        kids = children(c)
        op = binary_op(c)
        if len(kids) != 2:
            return set()
        if op == "&&":
            return nonnull_when(kids[0], True) | nonnull_when(kids[1], True) if truth else set()
        if op == "||":
            return set() if truth else nonnull_when(kids[0], False) | nonnull_when(kids[1], False)
        if op == "=":
            return nonnull_when(kids[0], truth)
        if op in ("==", "!="):
            for a, b in ((kids[0], kids[1]), (kids[1], kids[0])):
                if is_null_literal(b):
                    var = var_name(a) or _field_key(a) or (var_name(children(strip(a))[0])
                                                           if strip(a).kind == K.BINARY_OPERATOR else None)
                    if var and (op == "!=") == truth:
                        return {var}
        return set()
    var = var_name(c) or _field_key(c)
    if var and truth and is_pointer(c):
        return {var}
    return set()


def _field_key(c) -> str | None:
    """``d->title`` / ``s.buf`` / ``m[i]``: the key of a field or element read whose NULL-ness is
    tracked (None for anything else)."""
    c = strip(c)
    if c is not None and c.kind == K.ARRAY_SUBSCRIPT_EXPR:
        return element_key(c)
    return path_key(c) if c is not None and c.kind == K.MEMBER_REF_EXPR else None


def element_key(c) -> str | None:
    """``path_key``, or for an element at a plain variable index ``m[i]`` (the row a loop just
    allocated), ``"m[i]"``: a key for NULL-ness only, which a new value of ``i`` drops."""
    key = path_key(c)
    if key is not None:
        return key
    c = strip(c)
    kids = children(c) if c is not None and c.kind == K.ARRAY_SUBSCRIPT_EXPR else []
    if len(kids) != 2 or strip(kids[1]) is None or strip(kids[1]).kind != K.DECL_REF_EXPR:
        return None
    inner = path_key(kids[0])
    return f"{inner}[{var_name(kids[1])}]" if inner else None


def array_type(expr):
    """The (canonical) fixed-size array type of what ``expr`` names (``buf``, ``s.buf``), else None."""
    c = strip(expr)
    if c is None:
        return None
    t = c.type.get_canonical()
    if t.kind == T.CONSTANTARRAY:
        return t
    if c.kind == K.DECL_REF_EXPR and c.referenced is not None:
        t = c.referenced.type.get_canonical()
        if t.kind == T.CONSTANTARRAY:
            return t
    return None


def array_size(expr) -> int | None:
    """Number of elements of the fixed-size array ``expr`` names (``buf``, ``s.buf``), or of the
    ``std::array`` whose ``data()`` it is (``key.data()``), else None."""
    t = array_type(expr)
    return t.get_array_size() if t is not None else _std_array_data_size(expr)


def _std_array_data_size(expr) -> int | None:
    """N of ``a.data()`` for a ``std::array<T, N>`` ``a`` (its size over ``T``'s: the bindings
    give no template value arguments)."""
    c = strip(expr)
    if c is None or c.kind != K.CALL_EXPR or c.spelling != "data":
        return None
    member = next((k for k in c.get_children() if k.kind == K.MEMBER_REF_EXPR), None)
    obj = next(iter(member.get_children()), None) if member is not None else None
    if obj is None:
        return None
    t = obj.type.get_canonical()
    if t.kind == T.POINTER:  # p->data() on a pointer to the array
        t = t.get_pointee().get_canonical()
    name = t.spelling.removeprefix("const ")
    if not (name.startswith("std::array<") or name.startswith("std::__1::array<")) or t.get_num_template_arguments() < 1:
        return None
    elem = t.get_template_argument_type(0).get_size()
    return t.get_size() // elem if elem and elem > 0 and t.get_size() > 0 else None
