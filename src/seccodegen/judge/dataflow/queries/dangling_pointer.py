"""Pointers into storage that is gone by the time they are used (CWE-416, CWE-562, CWE-825).

Three patterns, each in one function:

* ``c_str()``/``data()`` of a temporary string stored in a variable that is read afterwards:
  ``const char *name = make_name(id).c_str(); printf("%s", name);``. The temporary (a call
  returning a ``std::string`` by value, ``a + b``) is destroyed at the end of the statement,
  so ``name`` points into freed memory. Passing ``f().c_str()`` straight to a call is fine.
* returning ``c_str()``/``data()`` of a local string object: ``return s.c_str();`` where ``s``
  is a non-static local ``std::string``; the caller gets a pointer into the destroyed string.
* returning the address of a local: a non-static local array (``char buf[32]; ...; return
  buf;``), ``&local``, or a pointer variable only ever assigned one of those; or a reference to
  a local from a function that returns a reference (``const std::string &f() { std::string s;
  ...; return s; }``).

CodeQL counterparts: ``cpp/use-of-string-after-lifetime-ends`` (the first two) and
``cpp/return-stack-allocated-memory`` (the third). Deliberate differences: only the function
that makes the pointer is looked at (a pointer stored in a field or a global and used elsewhere
is not followed), and a string held by a ``std::string_view`` is not covered.
"""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import FunctionFacts, ast
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit

K = ci.CursorKind
T = ci.TypeKind
BUFFER_CALLS = {"c_str", "data"}
WRAPPING = {
    K.UNEXPOSED_EXPR,
    K.PAREN_EXPR,
    K.CSTYLE_CAST_EXPR,
    K.CXX_STATIC_CAST_EXPR,
    K.CXX_FUNCTIONAL_CAST_EXPR,
}


def _unwrap(c):
    """``c`` without implicit conversions, temporaries' materialisation, parentheses and casts."""
    while c is not None and c.kind in WRAPPING:
        kids = [k for k in c.get_children() if k.kind not in (K.TYPE_REF, K.NAMESPACE_REF, K.TEMPLATE_REF)]
        if len(kids) != 1:
            return c
        c = kids[0]
    return c


def _is_record(c) -> bool:
    try:
        return c.type.get_canonical().kind == T.RECORD
    except Exception:  # noqa: BLE001  (a dependent type)
        return False


def _string_buffer_of(expr):
    """The object whose buffer ``expr`` returns when it is ``obj.c_str()``/``obj.data()``."""
    c = _unwrap(expr)
    if c is None or c.kind != K.CALL_EXPR or c.spelling not in BUFFER_CALLS:
        return None
    kids = list(c.get_children())
    member = kids[0] if kids and kids[0].kind == K.MEMBER_REF_EXPR else None
    obj = next(iter(member.get_children()), None) if member is not None else None
    obj = _unwrap(obj)
    return obj if obj is not None and _is_record(obj) else None


def _temporary(obj) -> bool:
    """``obj`` is a call that returns a class object by value (a temporary)."""
    if obj.kind != K.CALL_EXPR:
        return False
    callee = obj.referenced
    if callee is None:
        return True  # an operator on temporaries, such as a + b, is found through its decl too
    result = callee.result_type.kind
    return result not in (T.LVALUEREFERENCE, T.RVALUEREFERENCE, T.POINTER)


def _local(fn_cursor, decl) -> bool:
    """``decl`` is a non-static, non-reference local variable of the function."""
    return (
        decl is not None
        and decl.kind == K.VAR_DECL
        and decl.semantic_parent == fn_cursor
        and decl.storage_class != ci.StorageClass.STATIC
        and decl.type.get_canonical().kind not in (T.LVALUEREFERENCE, T.RVALUEREFERENCE)
    )


def _stack_address(fn_cursor, expr) -> str | None:
    """The local whose storage ``expr`` (a returned value) points into: a local array decaying
    to a pointer, or ``&local``."""
    c = _unwrap(expr)
    if c is None:
        return None
    if c.kind == K.UNARY_OPERATOR and ast.unary_op(c) == "&":
        inner = _unwrap(next(iter(c.get_children()), None))
        if inner is not None and inner.kind == K.DECL_REF_EXPR and _local(fn_cursor, inner.referenced):
            return inner.spelling
        return None
    if c.kind == K.DECL_REF_EXPR and _local(fn_cursor, c.referenced):
        if c.referenced.type.get_canonical().kind == T.CONSTANTARRAY:
            return c.spelling
    return None


@QUERIES.register("dangling-pointer")
class DanglingPointer:
    rule = "dangling-pointer"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        root = fn.cursor
        if root is None:
            return []
        hits: list[Hit] = []
        stored: dict[str, list] = {}  # pointer variable -> the values assigned to it
        for c in root.walk_preorder():
            value, target = None, None
            if c.kind == K.VAR_DECL:
                kids = [k for k in c.get_children() if k.kind not in (K.TYPE_REF, K.NAMESPACE_REF)]
                value, target = (kids[-1] if kids else None), c
            elif c.kind == K.BINARY_OPERATOR and ast.binary_op(c) == "=":
                kids = ast.children(c)
                lhs = _unwrap(kids[0]) if len(kids) == 2 else None
                if lhs is not None and lhs.kind == K.DECL_REF_EXPR:
                    value, target = kids[1], lhs.referenced
            if target is not None and value is not None:
                stored.setdefault(target.spelling, []).append(value)
                obj = _string_buffer_of(value) if language == "cpp" else None
                if obj is not None and _temporary(obj) and _read_after(root, target, c):
                    hits.append(self._hit(c, f"'{target.spelling}' points into a temporary string "
                                             f"('{ast.compact(obj)}') destroyed at the end of the statement"))  # fmt: skip
            elif c.kind == K.RETURN_STMT:
                hit = self._returned(root, c, stored, language)
                if hit:
                    hits.append(hit)
        return hits

    def _returned(self, root, ret, stored: dict, language: str) -> Hit | None:
        value = next(iter(ret.get_children()), None)
        if value is None:
            return None
        obj = _string_buffer_of(value) if language == "cpp" else None
        if obj is not None and obj.kind == K.DECL_REF_EXPR and _local(root, obj.referenced):
            return self._hit(
                ret, f"returns the buffer of the local string '{obj.spelling}', destroyed on return"
            )
        local = _stack_address(root, value)
        if local is None and root.result_type.get_canonical().kind in (T.LVALUEREFERENCE, T.RVALUEREFERENCE):
            var = _unwrap(value)  # const std::string &f() { std::string s = ...; return s; }
            if var is not None and var.kind == K.DECL_REF_EXPR and _local(root, var.referenced):
                return self._hit(ret, f"returns a reference to the local '{var.spelling}', gone when the function returns")
        if local is None:
            var = _unwrap(value)
            values = stored.get(var.spelling, []) if var is not None and var.kind == K.DECL_REF_EXPR else []
            addresses = [_stack_address(root, v) for v in values]
            local = addresses[0] if addresses and all(addresses) else None
        if local is not None:
            return self._hit(
                ret, f"returns the address of the local '{local}', gone when the function returns"
            )
        return None

    def _hit(self, c, message: str) -> Hit:
        return Hit(self.rule, ("CWE-416", "CWE-562", "CWE-825"), c.location.line, c.location.column, message)


def _read_after(root, var_decl, statement) -> bool:
    """``var_decl`` is read after ``statement`` (a later reference in the function)."""
    end = statement.extent.end.offset
    return any(
        n.kind == K.DECL_REF_EXPR and n.referenced == var_decl and n.extent.start.offset > end
        for n in root.walk_preorder()
    )
