"""Which parameters of a function are a buffer and its size: evidence from the file, not names.

A pair (``out``, ``out_size``) counts when some call of the function in the file passes a
fixed-size array for the pointer and that array's size for the other parameter (``f(...,
field, sizeof field)``, or the literal count), or when the function itself passes the pair to a
call whose size argument is the whole buffer's (``snprintf(out, out_size, ...)``, ``fgets(buf,
size, f)``, ``strlcpy(out, s, out_size)``). A block the function allocates pairs with its count
variable (``char *p = malloc(n)``, ``new T[n]``) while neither changes. Used by
``off-by-one-bound`` and ``counted-write``.
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


def _byte_pointer(ev) -> bool:
    """The assignment ``ev`` stores into a pointer to bytes (``char *``, ``void *``)."""
    kids = ast.children(ev.cursor)
    t = ev.cursor.type if ev.cursor.kind == K.VAR_DECL else kids[0].type if kids else None
    canon = t.get_canonical() if t is not None else None
    if canon is None or canon.kind != ci.TypeKind.POINTER:
        return False
    pointee = canon.get_pointee().get_canonical()
    return pointee.kind == ci.TypeKind.VOID or pointee.get_size() == 1


def _allocated_count(ev):
    """The element count of the block assignment ``ev`` stores: ``n`` of ``p = malloc(n)`` (a byte
    pointer), ``calloc(n, k)``, ``new T[n]``; else None."""
    from seccodegen.judge.dataflow.queries.integer_overflow import new_array_sizes

    v = ast.strip(ev.args[0])
    if v is None:
        return None
    if v.kind == K.CALL_EXPR and (args := ast.call_args(v)):
        name = ast.call_name(v)
        if name in ("malloc", "alloca") and _byte_pointer(ev) or name == "calloc":
            return args[0]
        return None
    sizes = new_array_sizes(v) if v.kind == K.CXX_NEW_EXPR else []
    return sizes[0] if sizes else None


def _gives_new_value(ev, names: tuple[str, ...]) -> bool:
    """Event ``ev`` assigns one of ``names`` itself (not an element: ``p[n] = 0`` keeps ``p``), or
    steps it with ``++``/``--``/``+=``-style operators."""
    if ev.kind == "assign" and ev.name in names:
        if ev.cursor.kind == K.VAR_DECL:
            return True
        kids = ast.children(ev.cursor)
        return bool(kids) and ast.var_name(kids[0]) in names
    return ev.kind == "arith" and bool(ev.args) and ev.args[0] is not None and (
        ev.name in ("++", "--") or ev.name.endswith("=")
    ) and ast.var_name(ev.args[0]) in names


def _pairs_from_allocations(fn: FunctionFacts) -> set[tuple[str, str]]:
    """(pointer, count) pairs of the blocks the function allocates with a variable's count
    (``char *p = malloc(n)``, ``p = new T[n]``), where neither variable gets another value later."""
    out = set()
    for i, ev in enumerate(fn.events):
        if ev.kind != "assign" or not ev.name or not ev.args or ev.args[0] is None:
            continue
        count = _allocated_count(ev)
        n = ast.var_name(count) if count is not None else None
        if not n:
            continue
        later = fn.events[i + 1 :]
        if any(_gives_new_value(e, (ev.name, n)) for e in later):
            continue
        out.add((ev.name, n))
    return out


def allocated_past(fn: FunctionFacts, pointer: str | None, var: str) -> bool:
    """Every block the function stores in ``pointer`` has more elements than ``var`` holds: its
    count is ``var + k`` for a constant ``k >= 1`` (``char *msg = malloc((size_t)len + 1)``), and
    neither gets another value afterwards, so ``msg[len]`` is its last element."""
    if not pointer:
        return False
    found = False
    for i, ev in enumerate(fn.events):
        if ev.kind != "assign" or ev.name != pointer or not ev.args or ev.args[0] is None:
            continue
        count = _allocated_count(ev)
        if count is None:
            continue  # an element's store (msg[len] = 0); another value for the pointer is seen below
        c = ast.strip(count)
        kids = ast.children(c) if c is not None and c.kind == K.BINARY_OPERATOR and ast.binary_op(c) == "+" else []
        if len(kids) != 2:
            return False
        named = [k for k in kids if ast.var_name(ast.strip(k)) == var]
        extra = [values.const_value(ast.strip(k), ev.state) for k in kids if ast.var_name(ast.strip(k)) != var]
        if len(named) != 1 or len(extra) != 1 or extra[0] is None or extra[0] < 1:
            return False
        if any(_gives_new_value(e, (pointer, var)) for e in fn.events[i + 1 :]):
            return False
        found = True
    return found


def size_pairs(fn: FunctionFacts) -> set[tuple[str, str]]:
    """(buffer, size) variable pairs of ``fn`` (see the module's docstring)."""
    return _pairs_from_callers(fn) | _pairs_from_calls(fn) | _pairs_from_allocations(fn)
