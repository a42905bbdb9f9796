"""One-call-deep facts about the file's own functions, used where they are called."""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import ast
from seccodegen.judge.dataflow.models import FORMAT_FUNCTIONS, FREES, NO_RETURN

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


def returns_null(fn) -> bool:
    """Whether function definition ``fn`` returns a pointer and has a ``return NULL;``."""
    if fn.result_type.get_canonical().kind != ci.TypeKind.POINTER:
        return False
    return any(
        r.kind == K.RETURN_STMT and ast.children(r) and ast.is_null_literal(ast.children(r)[0])
        for r in fn.walk_preorder()
    )


def freed_params(fn) -> tuple[int, ...]:
    """Positions of the parameters function definition ``fn`` passes to ``free``/``delete``."""
    params = [p.spelling for p in fn.get_arguments()]
    out = set()
    for c in fn.walk_preorder():
        if c.kind == K.CALL_EXPR and c.spelling in FREES and ast.call_args(c):
            target = ast.var_name(ast.call_args(c)[FREES[c.spelling]])
        elif c.kind == K.CXX_DELETE_EXPR and ast.children(c):
            target = ast.var_name(ast.children(c)[0])
        else:
            continue
        if target in params:
            out.add(params.index(target))
    return tuple(sorted(out))


def format_params(fns) -> dict[str, tuple[int, ...]]:
    """The file's own printf-style wrappers: function name -> positions of the parameters it passes,
    unchanged, as the format of a formatting function (``vfprintf(stdout, fmt, args)``,
    ``printf(msg)``) or of another wrapper of the file (found to a fixpoint, so wrappers of
    wrappers count). A caller's argument at such a position is a format string."""
    out: dict[str, tuple[int, ...]] = {}
    calls = {}
    for fn in fns:
        params = [p.spelling for p in fn.get_arguments()]
        calls[fn.spelling] = (params, [c for c in fn.walk_preorder() if c.kind == K.CALL_EXPR])
    changed = True
    while changed:
        changed = False
        for name, (params, sites) in calls.items():
            found = set(out.get(name, ()))
            for c in sites:
                callee = ast.call_name(c)
                positions = out.get(callee, ()) if callee != name else ()
                if callee in FORMAT_FUNCTIONS:
                    positions = (FORMAT_FUNCTIONS[callee],)
                args = ast.call_args(c)
                for pos in positions:
                    target = ast.var_name(args[pos]) if pos < len(args) else None
                    if target in params:
                        found.add(params.index(target))
            if found and tuple(sorted(found)) != out.get(name):
                out[name] = tuple(sorted(found))
                changed = True
    return out
