"""The file's own predicates: functions that inspect their arguments and act on nothing
(``static int valid_name(const char *s)``). A condition that calls one is read with the tokens of
the predicate's body (:attr:`~.summaries.OwnFunctions.check_tokens`), so ``if (!valid_name(name))
return 1;`` counts as the path check or allow-list the body makes."""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import ast
from seccodegen.judge.dataflow.guard_kinds import PREFIX_COMPARE, PREFIX_DOTDOT
from seccodegen.judge.dataflow.models import COPIES, SOURCE_OUT_ARGS, arg_positions

K = ast.K


# calls a predicate never makes: what opens, removes, runs or writes (a helper that does is an
# action whose result a condition tests, not a check of its argument)
ACTIONS = {
    "fopen", "freopen", "open", "openat", "creat", "opendir", "mkdir", "rmdir", "unlink", "remove",
    "rename", "system", "popen", "execl", "execlp", "execv", "execvp", "fwrite", "write", "send",
    "remove_all", "copy_file", "sqlite3_exec", "sqlite3_prepare_v2",
}  # fmt: skip


def _writes_params(fn, body) -> bool:
    """The body assigns through a parameter (``req->tpl[n] = 0``, ``*out = v``, ``p[i] = c``)."""
    params = {p.spelling for p in fn.get_arguments()}
    for c in body.walk_preorder():
        if c.kind in (K.BINARY_OPERATOR, K.COMPOUND_ASSIGNMENT_OPERATOR) and ast.children(c):
            target = ast.strip(ast.children(c)[0])
            if (c.kind == K.COMPOUND_ASSIGNMENT_OPERATOR or ast.binary_op(c) == "=") and target is not None \
                    and target.kind != K.DECL_REF_EXPR and ast.base_var(target) in params:  # fmt: skip
                return True
    return False


def _copies_out(body) -> bool:
    """The body copies into memory it did not declare (``strcpy(out, s)``, ``sscanf(s, "%d", &req->n)``);
    copies into its own locals (``realpath(path, real)`` to compare ``real``) are part of a check."""
    local = {c.spelling for c in body.walk_preorder()  # its own arrays and objects, not pointers to others'
             if c.kind == K.VAR_DECL and c.type.get_canonical().kind not in (ci.TypeKind.POINTER, ci.TypeKind.LVALUEREFERENCE)}  # fmt: skip
    for c in body.walk_preorder():
        if c.kind != K.CALL_EXPR or c.spelling not in COPIES:
            continue
        args = ast.call_args(c)
        where = COPIES[c.spelling][0]
        dests = [ast.member_object(c)] if where == -1 else [args[i] for i in arg_positions((where,), len(args))]
        if not dests or any(d is None or ast.base_var(d) not in local for d in dests):
            return True
    return False


def check_tokens(fn) -> frozenset[str] | None:
    """The tokens and calls of the body of ``fn`` when it is a predicate on its arguments: it
    takes parameters, returns ``bool`` or an integer, calls nothing in ``ACTIONS``, reads no
    input, copies into nothing but its own arrays (``realpath(path, real)`` to compare ``real``
    with the base), and assigns nothing through its parameters
    (``static int valid_name(const char *s) { if (strstr(s, "..")) return 0; ... }``); else None."""
    result = fn.result_type.get_canonical().kind
    if result != ci.TypeKind.BOOL and result not in INTEGER_RESULTS or not list(fn.get_arguments()):
        return None
    body = next((k for k in fn.get_children() if k.kind == K.COMPOUND_STMT), None)
    if body is None:
        return None
    calls = ast.calls_in(body)
    if calls & ACTIONS or calls & set(SOURCE_OUT_ARGS) or _copies_out(body) or _writes_params(fn, body):
        return None  # a parser that fills its arguments (sscanf into req->target) checks nothing
    # a test of the name's start only (strncmp(name, "..", 2), strncmp(name, "img_", 4)) is read
    # as it is in a condition: no path check, no allow-list
    text = PREFIX_DOTDOT.sub(" ", ast.text(body))
    text = PREFIX_COMPARE.sub(lambda m: " " if int(m.group(2)) <= len(m.group(1)) - 2 else m.group(0), text)
    words = frozenset(text.split())
    return words | (calls & words)


INTEGER_RESULTS = {ci.TypeKind.INT, ci.TypeKind.UINT, ci.TypeKind.CHAR_S, ci.TypeKind.SCHAR, ci.TypeKind.UCHAR,
                   ci.TypeKind.SHORT, ci.TypeKind.LONG}  # fmt: skip
