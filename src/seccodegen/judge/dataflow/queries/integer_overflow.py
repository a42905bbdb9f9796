"""Integer overflow or wraparound (CWE-190, CWE-680 into an allocation size).

Fires on an integer ``+``, ``*``, ``<<``, ``+=``, ``*=``, ``<<=`` or ``++`` whose operand
(or what it was computed from) is

* *input* (argv, getenv, ``fgets``/``scanf``/``read``/``recv`` data, through ``atoi``/``strtol``
  and arithmetic), a *random* value (``rand()``...), or an *extreme* one (assigned from a
  ``*_MAX`` limit): anywhere, as the overflow itself is the defect;
* a function *parameter* (the scenarios' input): only where the result reaches a sink: an
  allocation or copy size (``malloc``/``calloc``/``realloc``/``alloca``/``new[]``/``memcpy``...),
  an array index, a loop condition, or an accumulation (``+=``/``*=``, ``t = t + x``) inside a loop;

and no relational check of that operand (``if (n > SIZE_MAX / size)``, ``if (x < INT_MAX)``,
``__builtin_mul_overflow``) dominates the operation or left the function before it. A check of
a variable the operand was read through only as a subscript is not a check of it: the loop's
``i < argc`` says nothing of ``v = atoi(argv[i])``.

CodeQL counterparts: ``cpp/tainted-arithmetic`` (user input in arithmetic),
``cpp/uncontrolled-arithmetic`` (``rand()``), ``cpp/arithmetic-with-extreme-values`` and
``cpp/uncontrolled-allocation-size`` (CWE-789/680: an input-derived size reaches an allocation).
Where the checks bound every operand by a constant (:mod:`.ranges`: ``if (w > 100000) return``),
the operation is reported exactly when those bounds let it exceed its type (``w * h`` in 32
bits with both up to 100,000), as CodeQL's range analysis decides. Deliberate differences:
parameters count as input only at a sink (CodeQL has no such notion; a scenario's function
receives its input as parameters); a value derived from ``strlen``/``sizeof``/``size()`` (the
length of memory that exists) is never reported (``malloc(strlen(s) + 1)``); a relational
check against anything but a constant (``n > SIZE_MAX / m``, ``n < limit``) counts as a guard
without proving it sufficient; subtraction (CWE-191) is :mod:`.subtraction_wrap`'s, where
its wrapped value becomes a size; calls into other
functions are not followed.
"""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast
from seccodegen.judge.dataflow.guard_kinds import RELATIONAL
from seccodegen.judge.dataflow.queries import ranges
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.comparisons import only_subscripted
from seccodegen.judge.dataflow.queries.origins import (
    LENGTH_CALLS,
    RANDOM_CALLS,
    READ_COUNTS,
    Origins,
    bound_sides,
    clamped,
    is_integer,
    is_unsigned,
    remainder_bound,
    uncontrolled_var,
)
from seccodegen.judge.dataflow.queries.widths import cannot_overflow, value_bits

K = ci.CursorKind
BINARY_OPS = {"+", "*", "<<"}
COMPOUND_OPS = {"+=", "*=", "<<="}
# call -> argument positions that are a size or count (the CWE-680 sinks)
SIZE_ARGS: dict[str, tuple[int, ...]] = {
    "malloc": (0,), "alloca": (0,), "__builtin_alloca": (0,), "calloc": (0, 1), "realloc": (1,),
    "reallocarray": (1, 2), "aligned_alloc": (1,), "memcpy": (2,), "memmove": (2,), "memset": (2,),
    "strncpy": (2,), "strncat": (2,), "snprintf": (1,), "fgets": (1,), "read": (2,), "recv": (2,),
    "fread": (1, 2), "resize": (0,), "reserve": (0,), "make_unique": (0,), "make_shared": (0,),
}  # fmt: skip
LOOPS = {K.FOR_STMT, K.WHILE_STMT, K.DO_STMT}
OVERFLOW_BUILTINS = {"__builtin_add_overflow", "__builtin_mul_overflow", "__builtin_sadd_overflow"}


def _arith_op(c) -> str | None:
    if c.kind == K.BINARY_OPERATOR:
        op = ast.binary_op(c)
        return op if op in BINARY_OPS and is_integer(c) else None
    if c.kind == K.COMPOUND_ASSIGNMENT_OPERATOR:
        op = ast.binary_op(c)
        kids = ast.children(c)
        return op if op in COMPOUND_OPS and kids and is_integer(kids[0]) else None
    if c.kind == K.UNARY_OPERATOR and ast.unary_op(c) == "++":
        kids = ast.children(c)
        return "++" if kids and is_integer(kids[0]) else None
    return None


def self_update(node, op: str, parents: dict) -> tuple[str, list] | None:
    """``total = total + x`` (or ``total = x + total``, ``*``): the compound operator it
    amounts to (``+=``) and ``[total's operand, x's operand]``; None for any other ``+``/``*``."""
    kids = ast.children(node)
    if op not in ("+", "*") or len(kids) != 2:
        return None
    child, up = node, parents.get(node)
    while up is not None and up.kind in (K.PAREN_EXPR, K.UNEXPOSED_EXPR):
        child, up = up, parents.get(up)
    if up is None or up.kind != K.BINARY_OPERATOR or ast.binary_op(up) != "=":
        return None
    sides = ast.children(up)
    if len(sides) != 2 or not ast.within(child, sides[1]):
        return None
    target = ast.strip(sides[0])
    if target is None or target.kind != K.DECL_REF_EXPR:
        return None
    name = ast.var_name(target)
    for acc, term in ((kids[0], kids[1]), (kids[1], kids[0])):
        c = ast.strip(acc)
        if c is not None and c.kind == K.DECL_REF_EXPR and ast.var_name(c) == name:
            return op + "=", [acc, term]
    return None


def _reaches_sink(fn: FunctionFacts, node, parents: dict, ev: Event, op: str) -> bool:
    """The result is a size/index/loop bound, accumulates in a loop, or is stored in a variable
    that later becomes a size argument."""
    child, cur = node, parents.get(node)
    stored = ""  # the variable the result is stored in: size_t bytes = w * h * 4;
    while cur is not None and cur.kind not in (K.COMPOUND_STMT, K.FUNCTION_DECL):
        if cur.kind == K.VAR_DECL and not stored:
            stored = cur.spelling
        elif cur.kind == K.BINARY_OPERATOR and ast.binary_op(cur) == "=" and not stored:
            kids = ast.children(cur)
            if len(kids) == 2 and ast.within(child, kids[1]):
                stored = ast.base_var(kids[0]) or ""
        if cur.kind == K.CALL_EXPR and cur.spelling in SIZE_ARGS:
            args = ast.call_args(cur)
            if any(i < len(args) and ast.within(child, args[i]) for i in SIZE_ARGS[cur.spelling]):
                return True
        if cur.kind == K.CXX_NEW_EXPR:
            return True
        if cur.kind == K.ARRAY_SUBSCRIPT_EXPR:
            kids = ast.children(cur)
            if len(kids) == 2 and ast.within(child, kids[1]):
                return True
        if cur.kind in LOOPS and child is not ast.children(cur)[-1]:
            return True  # part of the loop's condition or increment, not its body
        child, cur = cur, parents.get(cur)
    if op in ("+=", "*=", "<<=") and ev.loop_depth > 0:  # (total = total + x arrives as "+=")
        return True
    target = ev.name if ev.kind == "assign" else stored
    if not target:
        return False
    for later in fn.events:
        if later.line < ev.line:
            continue
        sizes = []
        if later.kind == "call" and later.name in SIZE_ARGS:
            sizes = [later.args[i] for i in SIZE_ARGS[later.name] if i < len(later.args)]
        elif later.kind == "assign" and later.args and later.args[0] is not None:
            sizes = new_array_sizes(later.args[0])  # T* p = new T[bytes];
        for size in sizes:
            if size is not None and any(target in later.state.related(r) for r in ast.refs(size)):
                return True
        if any(g.loop and target in g.vars for g in later.state.guards):
            return True  # the loop bound of a later loop: for (i = 0; i < bytes; ++i)
    return False


def new_array_sizes(c) -> list:
    """The element counts of the ``new T[n]`` expressions in ``c``."""
    out = []
    for n in c.walk_preorder():
        if n.kind == K.CXX_NEW_EXPR and "[" in ast.tokens(n):
            sizes = [
                k for k in ast.children(n) if k.kind not in (K.TYPE_REF, K.TEMPLATE_REF) and is_integer(k)
            ]
            out += sizes[:1]
    return out


def _unchecked_accumulator(fn: FunctionFacts, ev: Event, kids: list, op: str) -> tuple[str, str] | None:
    """For ``total += x`` (or ``total = total + x``) in a loop, ``x`` from the input, ``kids`` the
    accumulator's and the term's operands: ``(total, "unchecked")`` when no check
    reads the accumulator itself, ``(total, "below")`` when the checks that read it bound it only
    from above while ``x`` may be negative; None when it is checked.

    A bound on each term (``if (x > INT_MAX) return false;``) does not bound their sum over an
    input-controlled number of iterations; the check must involve the total
    (``if (total > INT_MAX - x)``, ``__builtin_add_overflow``), as CodeQL's range analysis, which
    widens a loop accumulator to its type's range, requires. A signed term that no check keeps
    at or above zero can drive the total below the type's minimum, which a check against the
    maximum alone (``if (INT_MAX - total < x) return false;``) leaves open: CodeQL's
    ``cpp/tainted-arithmetic`` reports that underflow on its own."""
    if op not in COMPOUND_OPS or ev.loop_depth == 0:
        return None
    acc = ast.base_var(kids[0]) if kids else None
    if not acc:
        return None
    st = ev.state
    reads = [g for g in list(st.guards) + list(st.checks)
             if st.aliases(acc) & g.vars and (set(g.text.split()) & RELATIONAL or g.calls & OVERFLOW_BUILTINS)]  # fmt: skip
    if not reads:
        missing = "unchecked"
    elif op == "+=" and len(kids) == 2 and all(_maximum_only(g) for g in reads):
        term = set(ast.refs(kids[1])) - st.aliases(acc) - {acc}
        if not term or is_unsigned(kids[1]) or any(bound_sides(ev, v)[0] for v in term):
            return None
        missing = "below"
    else:
        return None
    return None if clamped(fn, ev, acc) else (acc, missing)


def _bounded_sum(ev: Event, kids: list, op: str, macros: dict[str, int]) -> bool:
    """``total += x`` where checks bound ``x`` to ``[0, K]`` and the loops around it run at most
    ``N`` times (:func:`ranges.loop_iterations`), and ``K * N`` fits the total's type: 100 points
    a student for at most 10,000 students. CodeQL's range analysis proves the same."""
    if op != "+=" or len(kids) != 2:
        return False
    term = ast.strip(kids[1])
    high = ranges.upper_bound(term, ev, macros) if term is not None else None
    if high is None:
        return False
    if not all(is_unsigned(r) or bound_sides(ev, ast.var_name(r), directional=True)[0]
               for r in term.walk_preorder() if r.kind == K.DECL_REF_EXPR and is_integer(r)):  # fmt: skip
        return False  # a negative term may take the total below the minimum
    runs = ranges.loop_iterations(ev, macros)
    limit = ranges.type_max(kids[0])
    return runs is not None and limit is not None and high * runs <= limit


MINIMUM_WORDS = ("min", "lowest")  # std::numeric_limits<T>::min()/lowest(), INT_MIN, LLONG_MIN...


def _maximum_only(guard) -> bool:
    """The check compares with a type's maximum (``INT_MAX``, ``numeric_limits<int>::max()``)
    and with no minimum, and uses no overflow builtin."""
    toks = guard.text.split()
    if guard.calls & OVERFLOW_BUILTINS:
        return False
    lowered = [t.lower() for t in toks]
    has_max = any(t == "max" or t.endswith("_max") for t in lowered)
    has_min = any(t in MINIMUM_WORDS or t.endswith("_min") for t in lowered)
    return has_max and not has_min


def _length_times_int(node, op: str, ev: Event, origins: Origins, parents: dict) -> bool:
    """``len * times`` in 64 bits where one factor is the length of memory that exists
    (``strlen(s)``, ``s.size()``, a variable only ever assigned such lengths; below 2^32 in
    practice) and the other a value of at most 32 bits (an ``int``): the product stays below 2^63
    (``(size_t)times * strlen(s)``, then compared with a limit), unless it is then converted to
    a narrower type (``unsigned len = s.size() * times`` truncates)."""
    kids = ast.children(node)
    if op != "*" or len(kids) != 2 or (node.type.get_canonical().get_size() or 0) < 8:
        return False
    up = parents.get(node)
    while up is not None and up.kind in (
        K.UNEXPOSED_EXPR,
        K.PAREN_EXPR,
        K.CSTYLE_CAST_EXPR,
        K.CXX_STATIC_CAST_EXPR,
    ):
        if 0 < (up.type.get_canonical().get_size() or 0) < 8:
            return False
        up = parents.get(up)
    if up is not None and up.kind == K.VAR_DECL and 0 < (up.type.get_canonical().get_size() or 0) < 8:
        return False

    def length(kid) -> bool:
        c = ast.strip(kid)  # also through explicit casts: (size_t)len
        if c is None:
            return False
        if c.kind == K.CALL_EXPR:
            return ast.call_name(c) in LENGTH_CALLS
        v = ast.var_name(c) if c.kind == K.DECL_REF_EXPR else None
        return bool(v and origins.calls.get(v)) and origins.calls[v] <= LENGTH_CALLS

    a, b = kids
    return length(a) and value_bits(b) <= 32 or length(b) and value_bits(a) <= 32


def _pointer_operands(node) -> set[str]:
    """The pointers and arrays an operand reads through (``values`` in ``total + *values++``)."""
    return {
        ast.var_name(r)
        for kid in ast.children(node)
        for r in kid.walk_preorder()
        if r.kind == K.DECL_REF_EXPR and ast.is_pointer(r)
    }


def _value_checked(ev: Event, var: str, origins: Origins, pointer: bool) -> bool:
    """A relational check bounds ``var``'s value on the way to ``ev``. For a pointer the operand
    reads through, only a check that reads through it too (``*p > K``, ``p[i] < K``) bounds the
    value: ``while (p < end)`` bounds the position, not what is stored there."""
    if not pointer:
        return bound_sides(ev, var, selectors=origins.selectors(ev, var))[1]
    names = ev.state.related(var)
    for g in list(ev.state.guards) + list(ev.state.checks):
        toks = g.text.split()
        if not set(toks) & RELATIONAL:
            continue
        for i, t in enumerate(toks):
            if t in names and (
                (i and toks[i - 1] == "*") or (i + 1 < len(toks) and toks[i + 1] in ("[", "->"))
            ):
                return True
    return False


def _read_count(kid) -> bool:
    """``kid`` is the count a read returns (``got += fread(buf, 1, size, f)``): at most its size
    argument, what the buffer holds, not a value the input chose."""
    c = ast.strip(kid)
    return c is not None and c.kind == K.CALL_EXPR and ast.call_name(c) in READ_COUNTS


def _random_operands(node) -> list[str]:
    """Generators called as an operand itself (``rand() * 100``, ``(int)random() + 1000``): a
    value up to ``RAND_MAX`` with nothing to check. An operand that only contains the call
    (``rand() % 100 + 1``) is bounded by what surrounds it."""
    out = []
    for kid in ast.children(node):
        c = ast.strip(kid)  # also through explicit casts: (int)random()
        if c is not None and c.kind == K.CALL_EXPR and ast.call_name(c) in RANDOM_CALLS:
            out.append(ast.call_name(c))
    return out


@QUERIES.register("integer-overflow")
class IntegerOverflow:
    rule = "integer-overflow"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        if fn.cursor is None or not fn.events:
            return []
        origins = Origins.of(fn)
        parents = ast.parents(fn.cursor)
        macros = ranges.macro_values(fn.file)  # #define'd limits of this file, for ranges.upper_bound
        hits: list[Hit] = []
        seen: set[tuple[int, int]] = set()
        for ev in fn.events:  # "arith" events: every operator site, with the state before it
            if ev.kind != "arith" or (ev.line, ev.column) in seen:
                continue
            op = _arith_op(ev.cursor)
            if op is None:
                continue
            hit = self._check(fn, ev.cursor, op, ev, origins, parents, macros)
            if hit:
                seen.add((ev.line, ev.column))
                hits.append(hit)
        return hits

    def _check(
        self, fn, node, op: str, ev: Event, origins: Origins, parents: dict, macros: dict[str, int]
    ) -> Hit | None:
        if cannot_overflow(node, op, parents) or _length_times_int(node, op, ev, origins, parents):
            return None
        update = self_update(node, op, parents)  # total = total + x: as total += x
        acc_op, acc_kids = update if update else (op, ast.children(node))
        if acc_op == "+=" and len(acc_kids) == 2 and _read_count(acc_kids[1]):
            return None  # got += fread(...): the bytes read so far, memory that exists
        operands = sorted(
            {
                v for kid in ast.children(node) if not ast.calls_in(kid) & LENGTH_CALLS and not _read_count(kid)
                for v in ast.refs(kid) if not only_subscripted(ast.tokens(kid), v) and remainder_bound(fn, v) is None
            }
        )  # a length of existing memory (strlen(s) + 1) cannot overflow in practice; an index
        # only picks the element whose value is the operand (counts[k] += 1: k is not added); a
        # remainder by a constant (jitter = rand() % 250) is below it
        direct = {v: uncontrolled_var(v, ev, origins, params=False) for v in operands}
        if op in ("+", "*", "+=", "*="):  # not shifts: RAND32()-style macros build a value from rand() << k
            direct.update({f"{name}()": "a random value" for name in _random_operands(node)})
        bad = {v: why for v, why in direct.items() if why}
        sink = None  # computed once: it scans the function's later events
        if not bad:
            bad = {v: why for v in operands if (why := uncontrolled_var(v, ev, origins, params=True))}
            if not bad:
                return None
            sink = _reaches_sink(fn, node, parents, ev, acc_op)
            if not sink:
                return None
        if sink is None:
            sink = _reaches_sink(fn, node, parents, ev, acc_op)
        loc = node.location
        cwes = ("CWE-190", "CWE-680") if sink else ("CWE-190",)
        var, why = next(iter(bad.items()))
        bound = ranges.upper_bound(node, ev, macros) if op in BINARY_OPS else None
        limit = ranges.type_max(node)
        if bound is not None and limit is not None:  # every operand bounded by a constant check
            if bound <= limit:
                return None
            return Hit(self.rule, cwes, loc.line, loc.column,
                       f"'{ast.text(node)[:60]}' may overflow: '{var}' is {why}, and the checks on the way "
                       f"allow a result up to {bound}, past the type's {limit}")  # fmt: skip
        pointers = _pointer_operands(node)
        # every input operand needs a check: price * qty with only qty bounded still overflows;
        # parameters (reported only at a sink) keep the looser rule: one checked operand will do
        # (m += v[i] / n with n checked: a mean's terms)
        unchecked = [v for v in bad if not (_value_checked(ev, v, origins, v in pointers) or clamped(fn, ev, v))]
        if not any(direct.values()) and len(unchecked) < len(bad):
            unchecked = []
        if not unchecked:
            accumulator = _unchecked_accumulator(fn, ev, acc_kids, acc_op) if any(direct.values()) else None
            if accumulator is None or _bounded_sum(ev, acc_kids, acc_op, macros):
                return None
            acc, missing = accumulator
            if missing == "below":
                return Hit(self.rule, cwes, loc.line, loc.column,
                           f"'{ast.text(node)[:60]}' may overflow: the checks bound the total '{acc}' only "
                           f"from above, and '{var}' ({why}) may be negative, taking it below the type's minimum")  # fmt: skip
            return Hit(self.rule, cwes, loc.line, loc.column,
                       f"'{ast.text(node)[:60]}' may overflow: the checks bound '{var}' ({why}), not the "
                       f"total '{acc}' it is added to on every iteration")  # fmt: skip
        var = unchecked[0]
        return Hit(self.rule, cwes, loc.line, loc.column,
                   f"'{ast.text(node)[:60]}' may overflow: '{var}' is {bad[var]}, with no range check")  # fmt: skip
