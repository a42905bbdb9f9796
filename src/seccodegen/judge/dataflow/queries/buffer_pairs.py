"""Which parameters of a function are a buffer and its size: evidence from the file, not names.

A pair (``out``, ``out_size``) counts when some call of the function in the file passes a
fixed-size array for the pointer and that array's size for the other parameter (``f(...,
field, sizeof field)``, or the literal count), or when the function itself passes the pair to a
call whose size argument is the whole buffer's (``snprintf(out, out_size, ...)``, ``fgets(buf,
size, f)``, ``strlcpy(out, s, out_size)``). Used by ``off-by-one-bound`` and ``counted-write``.
"""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import FunctionFacts, ast, values
from seccodegen.judge.dataflow.ast import array_size

K = ci.CursorKind
# (a copy's count, memcpy(out, s, len), says only that len bytes fit, not that len is the size)
SIZED_PAIRS = {"snprintf": (0, 1), "vsnprintf": (0, 1), "fgets": (0, 1), "strlcpy": (0, 2),
               "strlcat": (0, 2)}  # fmt: skip


def _capacity_of_argument(arg, n: int, size_arg) -> bool:
    """At a call site: ``size_arg`` is the size in elements of ``arg``, a fixed-size array of
    ``n`` (``sizeof field`` of a byte array, ``sizeof a / sizeof a[0]``, or the literal count)."""
    c = ast.strip(size_arg)
    if c is None:
        return False
    toks = ast.tokens(c)
    name = ast.var_name(arg)
    if "sizeof" in toks and not (name and name in toks) and not _sizeof_type_only(c):
        return False  # the size of another variable, equal in value or not: (pkt, n, out, sizeof out)
    v = values.evaluate(c)
    if isinstance(v, int) and v == n:
        return True
    return bool(name) and "sizeof" in toks and name in toks and v is None and "-" not in toks


def _sizeof_type_only(c) -> bool:
    """Every ``sizeof`` in ``c`` is of a type (``16 * sizeof(int)``), none of a variable."""
    return not any(
        x.kind == K.DECL_REF_EXPR
        for k in c.walk_preorder()
        if k.kind == K.CXX_UNARY_EXPR
        for x in k.walk_preorder()
    )


def file_index(tu) -> tuple[dict[str, list], frozenset[str]]:
    """Of the parsed file itself (not its headers), once per translation unit: its calls by the
    called function's name, and the names of its ``const``/``constexpr`` variables and enumerators."""
    index = getattr(tu, "_seccodegen_index", None)
    if index is None:
        calls: dict[str, list] = {}
        constants = set()
        for top in tu.cursor.get_children():
            if top.location.file is None or top.location.file.name != tu.spelling:
                continue
            for n in top.walk_preorder():
                if n.kind == K.CALL_EXPR and n.referenced is not None:
                    calls.setdefault(n.spelling, []).append(n)
                elif n.kind == K.ENUM_CONSTANT_DECL or n.kind == K.VAR_DECL and n.type.is_const_qualified():
                    constants.add(n.spelling)
        index = tu._seccodegen_index = (calls, frozenset(constants))
    return index


def _pairs_from_callers(fn: FunctionFacts) -> set[tuple[str, str]]:
    """(buffer parameter, size parameter) pairs that some call of ``fn`` in the file fills with a
    fixed-size array and its size."""
    if fn.cursor is None:
        return set()
    callers = file_index(fn.cursor.translation_unit)[0]
    params = list(fn.params)
    out = set()
    for call in callers.get(fn.name, []):
        args = ast.call_args(call)
        for i, arg in enumerate(args[: len(params)]):
            n = array_size(arg)
            if n is None:
                continue
            for j, size_arg in enumerate(args[: len(params)]):
                if i != j and _capacity_of_argument(arg, n, size_arg):
                    out.add((params[i], params[j]))
    return out


def _pairs_from_calls(fn: FunctionFacts) -> set[tuple[str, str]]:
    """(buffer, size) variable pairs the function itself passes to a sized call."""
    out = set()
    for ev in fn.calls(*SIZED_PAIRS):
        b, s = SIZED_PAIRS[ev.name]
        if max(b, s) < len(ev.args):
            buf, size = ast.var_name(ev.args[b]), ast.var_name(ev.args[s])
            if buf and size:
                out.add((buf, size))
    return out


def caller_array_sizes(fn: FunctionFacts) -> dict[str, int]:
    """Pointer parameters that every call of ``fn`` in the file fills with a fixed-size array
    (``reverse(argv[1], out)`` with ``char out[16]``): the smallest such array's element count.
    A function the file never calls, or calls once with something else there, gives nothing."""
    if fn.cursor is None:
        return {}
    calls = file_index(fn.cursor.translation_unit)[0].get(fn.name, [])
    params = list(fn.params)
    out: dict[str, int] = {}
    for i, param in enumerate(params):
        sizes = [array_size(args[i]) if i < len(args := ast.call_args(call)) else None for call in calls]
        if sizes and None not in sizes:
            out[param] = min(sizes)
    return out


def size_pairs(fn: FunctionFacts) -> set[tuple[str, str]]:
    """(buffer, size) variable pairs of ``fn`` (see the module's docstring)."""
    return _pairs_from_callers(fn) | _pairs_from_calls(fn)
