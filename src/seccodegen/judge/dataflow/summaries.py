"""One-call-deep facts about the file's own functions, used where they are called."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import clang.cindex as ci

from seccodegen.judge.dataflow import ast
from seccodegen.judge.dataflow.models import FORMAT_FUNCTIONS, FREES

FieldFrees = tuple[tuple[int, str], ...]  # (parameter position, field) pairs a function frees

K = ast.K


@dataclass(frozen=True)
class OwnFunctions:
    """What a walk knows of the file's own functions where they are called."""

    no_return: frozenset[str] = frozenset()  # fatal-error helpers: a call ends the path like exit()
    null_returning: frozenset[str] = frozenset()  # results may be NULL, like malloc()'s
    param_frees: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # -> positions freed
    # -> (position, field) of the fields of pointer/reference parameters it frees (``free(c->buf)``)
    field_frees: Mapping[str, tuple[tuple[int, str], ...]] = field(default_factory=dict)
    # -> the file-scope pointers it leaves holding a parameter's pointer (global, position), and
    # those it frees and leaves so
    global_stores: Mapping[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    global_frees: Mapping[str, tuple[tuple[str, bool], ...]] = field(default_factory=dict)  # (global, set again)
    # input the function reads itself and returns (``int read_int(void) { scanf(...); return x; }``)
    # or stores through a pointer / non-const reference parameter (``scanf("%d", out)``,
    # ``r->slot = atoi(arg)``): function -> labels, and function -> position -> labels
    returns_input: Mapping[str, frozenset[str]] = field(default_factory=dict)
    writes_input: Mapping[str, Mapping[int, frozenset[str]]] = field(default_factory=dict)
    # predicates that inspect their arguments and open or run nothing (``valid_name(s)``): function
    # -> the tokens and calls of its body, read as part of a condition that calls it
    check_tokens: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # functions that return the same integer on every path -> it
    constant_returns: Mapping[str, int] = field(default_factory=dict)
    # functions that return a table's element, NULL or a literal (:func:`.returns.table_return`)
    table_returns: frozenset[str] = frozenset()
    # the file's global text buffers that hold input -> its labels, text only (:mod:`.global_inputs`)
    global_inputs: Mapping[str, frozenset[str]] = field(default_factory=dict)


def _entry_labels(inputs: Mapping[str, Mapping[str, frozenset[str]]], name: str) -> frozenset[str]:
    return frozenset().union(*inputs.get(name, {}).values())


def input_returns(facts, inputs: Mapping[str, Mapping[str, frozenset[str]]]) -> dict[str, frozenset[str]]:
    """Walked functions (not ``main``) whose return value may hold input they read themselves:
    function -> its ``src:`` labels, less those any parameter brought in (``inputs``: function ->
    parameter -> labels; a value computed from an argument is the argument's, wherever it came from)."""
    from seccodegen.judge.dataflow.facts import EXTERNAL, taint_of

    out: dict[str, frozenset[str]] = {}
    for f in facts:
        if f.name == "main":
            continue
        labels: set[str] = set()
        for ev in f.events:
            if ev.kind == "return" and ev.args and ev.args[0] is not None:
                labels |= {lbl for lbl in taint_of(ev.args[0], ev.state) if lbl.startswith(EXTERNAL)}
        labels -= _entry_labels(inputs, f.name)
        if labels:
            out[f.name] = frozenset(labels)
    return out


def _writable_params(fn) -> list[tuple[int, str]]:
    """(position, name) of function definition ``fn``'s pointer and reference parameters to non-const data."""
    out = []
    for i, p in enumerate(fn.get_arguments()):
        t = p.type.get_canonical()
        if t.kind in (ci.TypeKind.POINTER, ci.TypeKind.LVALUEREFERENCE) and p.spelling:
            if not t.get_pointee().is_const_qualified():
                out.append((i, p.spelling))
    return out


def input_writes(
    facts, inputs: Mapping[str, Mapping[str, frozenset[str]]]
) -> dict[str, dict[int, frozenset[str]]]:
    """Walked functions (not ``main``) that store input they read through a writable parameter:
    function -> parameter position -> ``src:`` labels written there (values assigned through it,
    an input call filling it), less what the parameter itself brought in."""
    from seccodegen.judge.dataflow.call_effects import input_stored
    from seccodegen.judge.dataflow.facts import EXTERNAL, taint_of

    out: dict[str, dict[int, frozenset[str]]] = {}
    for f in facts:
        if f.cursor is None or f.name == "main":
            continue
        for pos, name in _writable_params(f.cursor):
            labels: set[str] = set()
            for ev in f.events:
                labels |= ev.state.taint.get(name, frozenset())
                if ev.kind == "assign" and ev.name == name and ev.args and ev.args[0] is not None:
                    labels |= taint_of(ev.args[0], ev.state)  # r->slot = atoi(arg), *out = n
                if ev.kind == "call":  # scanf("%d", out), std::cin >> n: the walk's own reading of the call
                    labels.update(*(got for base, got in input_stored(ev.name, list(ev.args), ev.obj, ev.state) if base == name))
            labels = {lbl for lbl in labels if lbl.startswith(EXTERNAL)}
            labels -= inputs.get(f.name, {}).get(name, frozenset())
            if labels:
                out.setdefault(f.name, {})[pos] = frozenset(labels)
    return out


def freed_params(fn, helpers: Mapping[str, tuple[int, ...]] | None = None) -> tuple[int, ...]:
    """Positions of the parameters function definition ``fn`` passes to ``free``/``delete``, or,
    outside any branch, to one of the file's ``helpers`` (name -> positions it frees) at a
    position it frees."""
    params = [p.spelling for p in fn.get_arguments()]
    always = _unconditional_offsets(fn) if helpers else set()
    out = set()
    for c in fn.walk_preorder():
        for freed in _freed_exprs(c, helpers or {}, always):
            if (target := ast.var_name(freed)) in params:
                out.add(params.index(target))
    return tuple(sorted(out))


def _freed_exprs(c, helpers: Mapping[str, tuple[int, ...]], always: set[int]) -> list:
    """The expressions call or ``delete`` ``c`` frees: its own, or those a helper frees when the
    call runs on every path through the function (``always``: offsets, :func:`_unconditional_offsets`;
    a helper that frees its argument only on ``quit`` leaves the caller's pointer live otherwise)."""
    if (freed := _freed_expr(c)) is not None:
        return [freed]
    if c.kind == K.CALL_EXPR and c.spelling in helpers and c.extent.start.offset in always:
        args = ast.call_args(c)
        return [args[pos] for pos in helpers[c.spelling] if pos < len(args)]
    return []


def own_frees(fns) -> tuple[dict[str, tuple[int, ...]], dict[str, FieldFrees]]:
    """(function -> parameter positions it frees, function -> (position, field) it frees) for
    the file's functions ``fns``, followed through helpers to any depth: ``remove_item(it)`` that
    calls ``item_free(it)`` frees ``it`` and ``it->name`` as ``item_free`` does. Each round adds
    one call level; a file's helpers nest a few deep, so the rounds stop at the function count."""
    frees: dict[str, tuple[int, ...]] = {}
    fields: dict[str, FieldFrees] = {}
    for _ in range(len(fns)):
        new_frees = {fn.spelling: pos for fn in fns if (pos := freed_params(fn, frees))}
        new_fields = {fn.spelling: f for fn in fns if (f := freed_fields(fn, fields))}
        if new_frees == frees and new_fields == fields:
            break
        frees, fields = new_frees, new_fields
    return frees, fields


def _freed_expr(c):
    """The expression call or ``delete`` ``c`` frees, else None."""
    if c.kind == K.CALL_EXPR and c.spelling in FREES and len(args := ast.call_args(c)) > FREES[c.spelling]:
        return args[FREES[c.spelling]]
    if c.kind == K.CXX_DELETE_EXPR and ast.children(c):
        return ast.children(c)[0]
    return None


def _param_field(expr, params: list[str]) -> tuple[int, str] | None:
    """(parameter position, field) of ``p->f`` / ``p.f`` with ``p`` a parameter, else None."""
    e = ast.strip(expr)
    if e is None or e.kind != K.MEMBER_REF_EXPR or not ast.children(e):
        return None
    base = ast.strip(ast.children(e)[0])
    if base is None or base.kind != K.DECL_REF_EXPR or ast.var_name(base) not in params:
        return None
    return params.index(ast.var_name(base)), e.spelling


BRANCHING = {K.IF_STMT, K.FOR_STMT, K.WHILE_STMT, K.DO_STMT, K.SWITCH_STMT, K.CXX_FOR_RANGE_STMT,
             K.CONDITIONAL_OPERATOR, K.CXX_TRY_STMT}  # fmt: skip


def _unconditional_offsets(fn) -> set[int]:
    """Start offsets of the nodes in ``fn``'s body that run whenever the function returns
    normally: those of its top-level statements, outside any branch or loop (a ``free`` on one
    error path, ``if (!p) { free(d->t); return -1; }``, is not what every call does), up to the
    first statement that may return (``if (cmd != quit) return 0; close(c);`` closes on one path)."""
    out: set[int] = set()
    body = next((k for k in fn.get_children() if k.kind == K.COMPOUND_STMT), None)
    stack = []
    for top in body.get_children() if body is not None else ():
        stack.append(top)
        if any(n.kind == K.RETURN_STMT for n in top.walk_preorder()):
            break  # what follows an early return runs on the other paths only
    while stack:
        n = stack.pop()
        if n.kind in BRANCHING or n.kind == K.RETURN_STMT:
            continue
        out.add(n.extent.start.offset)
        stack.extend(n.get_children())
    return out


def freed_fields(fn, helpers: Mapping[str, FieldFrees] | None = None) -> FieldFrees:
    """(parameter position, field) of every field of a parameter that function definition ``fn``
    frees on every call (``void close_conn(struct conn *c) { free(c->buf); }``, outside any branch)
    and does not assign afterwards (``free(c->buf); c->buf = NULL;`` leaves no freed pointer in the
    caller's struct). A later assignment is one that follows in the source, whatever the path.
    A call of one of the file's ``helpers`` (name -> (position, field) it frees) with a parameter
    frees that parameter's fields too."""
    params = [p.spelling for p in fn.get_arguments()]
    always = _unconditional_offsets(fn)
    freed: dict[tuple[int, str], int] = {}  # -> offset of the first free
    assigned: dict[tuple[int, str], int] = {}  # -> offset of the last assignment
    for c in fn.walk_preorder():
        target = _freed_expr(c)
        if target is not None and c.extent.start.offset in always and (key := _param_field(target, params)):
            freed.setdefault(key, c.extent.start.offset)
        elif c.kind == K.CALL_EXPR and c.spelling in (helpers or {}) and c.extent.start.offset in always:
            args = ast.call_args(c)
            for pos, member in helpers[c.spelling]:
                if pos < len(args) and (var := ast.var_name(args[pos])) in params:
                    freed.setdefault((params.index(var), member), c.extent.start.offset)
        elif c.kind == K.BINARY_OPERATOR and ast.binary_op(c) == "=" and ast.children(c):
            if key := _param_field(ast.children(c)[0], params):
                assigned[key] = max(assigned.get(key, -1), c.extent.start.offset)
    return tuple(sorted(k for k, at in freed.items() if assigned.get(k, -1) < at))


def _global_name(expr) -> str | None:
    """The file-scope variable ``expr`` names (``cache`` of ``static char *cache;``), else None."""
    e = ast.strip(expr)
    if e is None or e.kind != K.DECL_REF_EXPR or e.referenced is None or e.referenced.kind != K.VAR_DECL:
        return None
    parent = e.referenced.semantic_parent
    return e.referenced.spelling if parent is not None and parent.kind == K.TRANSLATION_UNIT else None


def global_effects(fn) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, bool], ...]]:
    """What function definition ``fn`` leaves in the file's global pointers, for its callers:
    the globals it sets to a parameter (``void set_cache(char *v) { cache = v; }``: the caller's
    pointer and the global then share memory, so freeing one frees the other) as (global,
    position), where no other assignment to the global follows in the source; and the globals it
    frees (``free(cache);``), with whether an assignment follows (``cache = NULL;``: the global
    holds something else then, but the caller's pointers to that block are freed all the same).
    Stores and frees count only outside any branch or loop: what every call does."""
    params = [p.spelling for p in fn.get_arguments()]
    always = _unconditional_offsets(fn)
    stores: dict[str, tuple[int, int]] = {}  # global -> (offset, parameter position)
    frees: dict[str, int] = {}  # global -> offset of the free
    assigned: dict[str, int] = {}  # global -> offset of its last assignment from anything else
    for c in fn.walk_preorder():
        target = _freed_expr(c)
        if target is not None and (g := _global_name(target)):
            if c.extent.start.offset in always:
                frees.setdefault(g, c.extent.start.offset)
        elif c.kind == K.BINARY_OPERATOR and ast.binary_op(c) == "=" and len(kids := ast.children(c)) == 2:
            if g := _global_name(kids[0]):
                value = ast.var_name(ast.strip(kids[1]))
                if value in params and ast.is_pointer(kids[0]) and c.extent.start.offset in always:
                    stores[g] = (c.extent.start.offset, params.index(value))
                else:
                    assigned[g] = c.extent.start.offset
    kept = tuple(sorted((g, pos) for g, (at, pos) in stores.items() if assigned.get(g, -1) < at))
    freed = tuple(sorted((g, max(assigned.get(g, -1), stores.get(g, (-1,))[0]) > at) for g, at in frees.items()))
    return kept, freed


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


def deref_params(facts) -> dict[str, tuple[int, ...]]:
    """The file's own functions that dereference a pointer parameter with no NULL check of it on
    the way (``p->n = 0``, ``strlen(p)``, or passing it on to another such function, found to a
    fixpoint): function name -> parameter positions. ``facts`` are the walked functions; a caller
    that passes a pointer that may be NULL at such a position dereferences it."""
    from seccodegen.judge.dataflow.facts import guards_of
    from seccodegen.judge.dataflow.models import DEREF_ARGS

    out: dict[str, set[int]] = {}
    changed = True
    while changed:
        changed = False
        for f in facts:
            found = out.setdefault(f.name, set())
            for ev in f.events:
                used: list[str] = []
                if ev.kind == "deref" and ev.name:
                    used.append(ev.name)
                elif ev.kind == "call" and ev.obj is None:
                    positions = DEREF_ARGS.get(ev.name) or tuple(out.get(ev.name, ()))
                    used += [v for p in positions if p < len(ev.args) and (v := ast.var_name(ev.args[p]))]
                for var in used:
                    if var in f.params and f.params.index(var) not in found and not guards_of(ev, var, "null"):
                        found.add(f.params.index(var))
                        changed = True
    return {name: tuple(sorted(pos)) for name, pos in out.items() if pos}
