"""What the file's own functions return, read from their definitions once per file: whether one
never returns (it always calls ``exit``/``abort``), returns the same integer on every path, an
element of a read-only table, NULL, or an allocation it did not check."""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import ast
from seccodegen.judge.dataflow.models import MAY_RETURN_NULL, NO_RETURN

K = ast.K


def never_returns(fn) -> bool:
    """Whether function definition ``fn`` is declared no-return or always ends in a no-return call."""
    head = [t.spelling for t in fn.get_tokens()][:12]
    if "_Noreturn" in head or "noreturn" in head:
        return True
    body = next((x for x in fn.get_children() if x.kind == K.COMPOUND_STMT), None)
    stmts = ast.children(body) if body is not None else []
    last = ast.strip(stmts[-1]) if stmts else None
    return last is not None and last.kind == K.CALL_EXPR and ast.call_name(last) in NO_RETURN


def constant_return(fn) -> int | None:
    """The integer every ``return`` of function definition ``fn`` returns, when they all return
    the same literal (``handle_command`` that always closes and returns 1); else None."""
    if fn.result_type.get_canonical().kind not in ast.INTEGER_KINDS:
        return None
    found = set()
    for c in fn.walk_preorder():
        if c.kind == K.RETURN_STMT:
            kids = ast.children(c)
            value = ast.strip(kids[0]) if kids else None
            toks = ast.tokens(value) if value is not None and value.kind == K.INTEGER_LITERAL else []
            if len(toks) != 1 or not toks[0].rstrip("uUlL").isdigit():
                return None
            found.add(int(toks[0].rstrip("uUlL")))
    return found.pop() if len(found) == 1 else None


def table_return(fn) -> bool:
    """Function definition ``fn`` returns a pointer, and every ``return`` hands back NULL, a
    literal, or an element of a read-only table it did not get from its arguments (a file-scope
    or ``static`` array of ``const`` entries: ``return &services[i];`` after comparing ``name``
    with each entry's): the arguments pick the element, their data is not in it."""
    if fn.result_type.get_canonical().kind != ci.TypeKind.POINTER:
        return False
    found = False
    for c in fn.walk_preorder():
        if c.kind != K.RETURN_STMT:
            continue
        kids = ast.children(c)
        if not kids:
            return False
        for ref in kids[0].walk_preorder():
            if ref.kind != K.DECL_REF_EXPR or ref.referenced is None or ref.referenced.kind != K.VAR_DECL:
                continue
            decl = ref.referenced
            if decl.type.get_canonical().kind in ast.INTEGER_KINDS:
                continue  # an index: it picks the element
            if not _read_only_table(decl.type.get_canonical()) or not (decl.storage_class == ci.StorageClass.STATIC
                                 or decl.semantic_parent.kind in (K.TRANSLATION_UNIT, K.NAMESPACE)):  # fmt: skip
                return False
        found = True
    return found


def _read_only_table(t) -> bool:
    """An array of ``const`` elements (``const service_t services[]``) or of pointers to ``const``
    (``const char *names[]``): no function fills it (a ``static char buf[256]`` may hold input)."""
    if t.kind not in (ci.TypeKind.CONSTANTARRAY, ci.TypeKind.INCOMPLETEARRAY):
        return False
    element = t.element_type.get_canonical()
    pointee = element.get_pointee() if element.kind == ci.TypeKind.POINTER else None
    # (clang puts the const of `const T a[]` on the canonical array type, not on its element)
    return t.is_const_qualified() or element.is_const_qualified() or (pointee is not None and pointee.is_const_qualified())


def returns_null(fn) -> bool:
    """Whether function definition ``fn`` returns a pointer and has a ``return NULL;``."""
    if fn.result_type.get_canonical().kind != ci.TypeKind.POINTER:
        return False
    return any(
        r.kind == K.RETURN_STMT and ast.children(r) and ast.is_null_literal(ast.children(r)[0])
        for r in fn.walk_preorder()
    )


def returns_unchecked_allocation(facts) -> bool:
    """Whether walked function ``facts`` returns a pointer that may still be an allocation's or
    open's NULL: ``return malloc(n);``, or ``p = strdup(s); ...; return p;`` with no check of
    ``p`` on some path to the return."""
    if facts.cursor is None or facts.cursor.result_type.get_canonical().kind != ci.TypeKind.POINTER:
        return False
    for ev in facts.events:
        if ev.kind != "return" or not ev.args or ev.args[0] is None:
            continue
        value = ast.strip(ev.args[0])
        if value is not None and value.kind == K.CALL_EXPR and ast.call_name(value) in MAY_RETURN_NULL:
            return True
        var = ast.var_name(value) if value is not None else None
        if var and ev.state.maybe_null.get(var, "NULL") != "NULL":
            return True
    return False
