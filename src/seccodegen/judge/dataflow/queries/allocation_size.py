"""Memory allocated with a size the input chose, with no upper bound (CWE-789, CWE-1284, CWE-190).

Fires where a count or size read from the input (``scanf``, ``atoi``/``strtol``/``std::stoi`` of
read text, ``in >> n``, argv, getenv; also read through a pointer or a field, ``*count`` after
``fread(count, ...)``, ``hdr.n``) reaches an allocation: ``malloc``/``calloc``/``realloc``/
``alloca``'s size, ``new T[n]``, a ``std::vector``/``std::string``/``std::deque`` constructed
with ``n`` elements, or ``resize(n)``/``reserve(n)``, with no check of an upper bound on the way
(``if (n > MAX_POINTS) return``, ``n < limit && ...``, a clamp ``if (n > K) n = K``,
``std::min(n, K)``). A client that claims a count of 10^12 makes the program allocate (or
try to) that much before it has received anything: memory exhaustion, or ``std::bad_alloc``
ending the process; a negative count converted to ``size_t`` does the same.

CodeQL counterpart: ``cpp/uncontrolled-allocation-size`` (CWE-190, CWE-789), whose sanitizer is
likewise an upper-bound check; like it, a finding counts for CWE-190 too (a size the input
chose is the tainted arithmetic a CWE-190 sample is judged on, overflowing or not). Deliberate differences: the C++ containers' sizing calls are
sinks too, ``reserve(n)`` for CWE-789/CWE-1284 only: it sets a capacity and no size, so a
wrapped request costs reallocations, never an overrun, and a huge one throws before anything
is written (exhaustion, which a CWE-20 quantity check is about, not an integer overflow); byte counts returned by ``read``/``recv``/``fread`` (bounded by the buffer they
filled) and lengths of existing memory (``strlen``, ``size()``) are not sources; parameters are
not sources (a function that allocates what its caller asks is the caller's business).
"""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.integer_overflow import new_array_sizes
from seccodegen.judge.dataflow.queries.origins import (
    LENGTH_CALLS,
    Origins,
    bound_sides,
    clamped,
    is_integer,
    is_unsigned,
    uncontrolled_var,
)
from seccodegen.judge.dataflow.queries.widths import cannot_overflow

K = ci.CursorKind
# allocation call -> argument positions that are a size or an element count
ALLOC_SIZE_ARGS: dict[str, tuple[int, ...]] = {
    "malloc": (0,), "calloc": (0, 1), "realloc": (1,), "alloca": (0,), "__builtin_alloca": (0,),
    "aligned_alloc": (1,), "reallocarray": (1, 2), "resize": (0,), "reserve": (0,),
    "vector": (0,), "basic_string": (0,), "deque": (0,), "make_unique": (0,), "make_shared": (0,),
}  # fmt: skip
BYTE_COUNTS = {"read", "recv", "recvfrom", "pread", "fread", "getline", "getdelim", "ftell"}
CLAMPS = {"min", "clamp", "fmin"}


def _integer_vars(size) -> list[str]:
    """The integer variables ``size`` reads (a pointer or struct an integer is read through, too), leaving out lengths (``s.size() + 1``, ``strlen(p)``)
    and clamped values (``std::min(n, K)``)."""
    out, stack = set(), [size]
    while stack:
        n = stack.pop()
        if n.kind == K.CALL_EXPR and n.spelling in LENGTH_CALLS | CLAMPS or ast.is_sizeof(n):
            continue
        if n.kind == K.DECL_REF_EXPR and is_integer(n) and ast.var_name(n):
            out.add(ast.var_name(n))
        elif is_integer(n) and (
            n.kind == K.MEMBER_REF_EXPR or n.kind == K.UNARY_OPERATOR and ast.unary_op(n) == "*"
        ) and (base := ast.base_var(n)):  # a count read through a pointer or a field: *count, hdr.n
            out.add(base)
            continue
        stack.extend(n.get_children())
    return sorted(out)


def _arithmetic_in_range(size) -> bool:
    """``size`` is arithmetic on unsigned values that cannot pass its type's maximum
    (``(size_t)len + 1`` with a ``uint16_t`` or ``uint32_t`` ``len``; ``n * sizeof(rec)`` with a
    32-bit unsigned ``n`` in 64 bits): CodeQL's query stops at such an operation (its range
    analysis finds no overflow), where a plain ``malloc(n)`` or a signed ``n`` (negative, it
    converts to a huge size) is still reported."""
    c = ast.strip(size)
    if c is None or c.kind != K.BINARY_OPERATOR or ast.binary_op(c) not in ("+", "*", "<<"):
        return False
    refs = [n for n in c.walk_preorder() if n.kind == K.DECL_REF_EXPR and is_integer(n)]
    return bool(refs) and all(is_unsigned(n) for n in refs) and cannot_overflow(c, ast.binary_op(c))


@QUERIES.register("uncontrolled-allocation-size")
class UncontrolledAllocationSize:
    rule = "uncontrolled-allocation-size"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        if fn.cursor is None or not fn.events:
            return []
        origins = Origins.of(fn)
        pending = new_array_sizes(fn.cursor) if language == "cpp" else []
        hits: list[Hit] = []
        seen: set[tuple[int, int]] = set()
        for ev in fn.events:
            sizes = []
            if ev.kind == "call" and ev.name in ALLOC_SIZE_ARGS:
                sizes = [ev.args[i] for i in ALLOC_SIZE_ARGS[ev.name] if i < len(ev.args) and ev.args[i] is not None]
            if pending and hasattr(ev.cursor, "extent"):
                inside = [s for s in pending if ast.within(s, ev.cursor)]
                pending = [s for s in pending if s not in inside]
                sizes += inside
            for size in sizes:
                if not is_integer(ast.strip(size)) and not is_integer(size):
                    continue
                hit = self._check(fn, ev, size, origins)
                if hit and (hit.line, hit.column) not in seen:
                    seen.add((hit.line, hit.column))
                    hits.append(hit)
        return hits

    def _check(self, fn: FunctionFacts, ev: Event, size, origins: Origins) -> Hit | None:
        if _arithmetic_in_range(size):
            return None
        for var in _integer_vars(size):
            why = uncontrolled_var(var, ev, origins, params=False)
            if not why or not why.startswith("input"):
                continue
            calls = origins.related_calls(ev, var)
            if calls & CLAMPS or (calls & BYTE_COUNTS and not calls - BYTE_COUNTS):
                continue
            # the loop's i < argc is no bound on atoi(argv[i]): Origins.selectors
            if bound_sides(ev, var, selectors=origins.selectors(ev, var))[1] or clamped(fn, ev, var):
                continue
            loc = size.location
            capacity_only = ev.kind == "call" and ev.name == "reserve" and any(size == a for a in ev.args)
            cwes = ("CWE-789", "CWE-1284") if capacity_only else ("CWE-789", "CWE-1284", "CWE-190")
            return Hit(self.rule, cwes, loc.line, loc.column,
                       f"allocation sized by '{ast.text(size)[:50]}': '{var}' is {why}, "
                       "with no upper bound checked")  # fmt: skip
        return None
