"""Where an integer value may come from, for the integer-overflow and out-of-bounds queries.

The core's taint covers input functions (``src:``) and parameters (``param:``). These queries
also treat as *uncontrolled* a value computed from ``rand()``-style generators (CodeQL's
``cpp/uncontrolled-arithmetic`` sources) and as *extreme* one assigned from a ``*_MAX``/``*_MIN``
limit (``cpp/arithmetic-with-extreme-values``), and as *bounded by memory* (never overflowing in
practice) a length taken from ``strlen``/``sizeof``/``size()``: ``malloc(strlen(s) + 1)`` is fine.
Origins are collected per function over all assignments to a variable (flow-insensitive), and
followed through the core's ``derived`` relation (``n = a * b`` comes from ``a`` and ``b``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast, values
from seccodegen.judge.dataflow.facts import EXTERNAL, PARAM, checked_by_callers, label_checks, label_source
from seccodegen.judge.dataflow.queries.comparisons import (
    any_comparison,
    compound_sides,
    constant_choice,
    constant_range,
    lone_comparison,
    only_equality,
    only_subscripted,
    top_level_parts,
    truth_tested,
)

RANDOM_CALLS = {"rand", "random", "lrand48", "mrand48", "nrand48", "jrand48", "rand_r", "arc4random"}
# calls whose value is a length of, or a position in, memory that exists (a find() result is below
# the size or npos): not an attacker-chosen number
LENGTH_CALLS = {"strlen", "strnlen", "wcslen", "size", "length", "sizeof", "count", "ftell", "strcspn", "strspn",
                "find", "rfind", "find_first_of", "find_last_of", "find_first_not_of", "find_last_not_of"}  # fmt: skip
EXTREME_RE = re.compile(r"\b(?:[A-Z]*_MAX|0x7[fF]{3,}\w*|0x[fF]{4,}\w*|\d{9,}\w*)\b")
INTEGER_KINDS = ast.INTEGER_KINDS
UNSIGNED_KINDS = ast.UNSIGNED_KINDS


def written(c, source: bytes) -> str:
    """The source text of ``c`` as written: a macro use (``LLONG_MAX``) has no tokens of its own."""
    text = ast.text(c)
    if text or not source:
        return text
    ext = c.extent
    return source[ext.start.offset : ext.end.offset].decode("utf-8", "replace")


def is_integer(c) -> bool:
    return c is not None and c.type.get_canonical().kind in INTEGER_KINDS


def is_unsigned(c) -> bool:
    return c is not None and c.type.get_canonical().kind in UNSIGNED_KINDS


@dataclass
class Origins:
    """Per variable: the calls and the source text of every value assigned to it in the function."""

    calls: dict[str, set[str]] = field(default_factory=dict)
    texts: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, fn: FunctionFacts) -> Origins:
        out = cls()
        try:
            source = Path(fn.file).read_bytes()
        except OSError:
            source = b""
        for ev in fn.events:
            if ev.kind == "assign" and ev.name and ev.args and ev.args[0] is not None:
                out.calls.setdefault(ev.name, set()).update(ast.calls_in(ev.args[0]))
                out.texts.setdefault(ev.name, []).append(written(ev.args[0], source))
            if ev.kind == "call" and ev.name in ("fscanf", "scanf", "sscanf", "__isoc99_fscanf",
                                                 "__isoc99_scanf", "__isoc99_sscanf"):  # fmt: skip
                for a in ev.args:
                    v = ast.base_var(a)
                    if v:
                        out.calls.setdefault(v, set()).add(ev.name)
        return out

    def related_calls(self, ev: Event, var: str) -> set[str]:
        out: set[str] = set()
        for v in ev.state.related(var):
            out |= self.calls.get(v, set())
        return out

    def selectors(self, ev: Event, var: str) -> frozenset[str]:
        """Variables ``var``'s value was built from only as a subscript (``i`` in ``v =
        atoi(argv[i])``): they chose which value was read, so a check of them (the loop's
        ``i < argc``) says nothing of how large the value is."""
        rel = ev.state.related(var)
        texts = [t.split() for v in rel for t in self.texts.get(v, [])]
        out = set()
        for v in rel - {var}:
            where = [toks for toks in texts if v in toks]
            if where and all(only_subscripted(toks, v) for toks in where):
                out.add(v)
        return frozenset(out)

    def extreme(self, ev: Event, var: str) -> bool:
        return any(EXTREME_RE.search(t) for v in ev.state.related(var) for t in self.texts.get(v, []))


def bound_sides(
    ev: Event, var: str, ignore: str = "", directional: bool = False, selectors: frozenset[str] = frozenset()
) -> tuple[bool, bool]:
    """(lower, upper): whether a relational check of ``var`` (or what it came from) against
    zero, and against anything else, protects ``ev`` (dominating condition or an earlier exit);
    conditions that also read ``ignore`` (a loop's own ``i < n``) do not count. ``directional``:
    a lone comparison counts only for the side it proves on the way to ``ev`` (an index's
    checks: ``if (n >= len) return s + len - n;`` is a check in the wrong direction), and a chain
    of comparisons joined by ``&&`` or by ``||`` is read part by part (:func:`compound_sides`:
    ``if (n == 0 || n > len) return s + len - n;`` proves no upper bound, and a part about another
    variable, ``level >= 0``, proves nothing about ``channel``). Without ``directional``, any
    comparison with something other than zero counts as the upper check (a value tested at all
    before an arithmetic operation). ``selectors`` (:meth:`Origins.selectors`) are left out of
    what ``var`` came from."""
    st = ev.state
    rel = st.related(var) - selectors
    own = st.aliases(var) - selectors
    lower = upper = False
    for g in list(st.guards) + list(st.checks):
        if ignore in g.vars:
            continue
        toks = g.text.split()
        flags = [
            v for v in g.vars - rel - g.pointers  # a pointer tested for NULL (eq = strstr(line, "=")) bounds nothing
            if v in toks  # the flag itself is tested, not a pointer made from it (!rgb after rgb = malloc(n * 3))
            and (from_rel := st.derived.get(v, frozenset()) & rel)
            and (from_rel & own and not only_equality(toks, v) or truth_tested(toks, v))
        ]  # fmt: skip
        if flags:
            lower = upper = True  # a flag computed from var is tested: ok = i >= 0 && i < N
            continue
        if not g.vars & rel:
            continue
        if constant_range(toks, rel) and ("||" not in toks if g.truth else "&&" not in toks):
            lower = upper = True  # c >= '0' && c <= '9' held, or c < '0' || c > '9' failed
            continue
        if constant_choice(toks, rel, g.truth):
            lower = upper = True  # ch != 1 && ch != 3 && ch != 4 failed: ch is one of them
            continue
        sides = (
            (lone_comparison(toks, rel, g.truth) or compound_sides(toks, rel, g.truth))
            if directional
            else None
        )
        if sides is not None:  # a lone `L op R`, or a chain of them: which way it bounds is known
            below = sides[1] and bool(g.unsigned_compared & own)  # i < v.size(): negative i fails too
            lower, upper = lower or sides[0] or below, upper or sides[1]
            continue
        sides = any_comparison(_parts_about(toks, rel, g.truth))
        lower, upper = lower or sides[0], upper or sides[1]
    if not lower:  # every caller proved it non-negative before the call (checks_made's "lower")
        lower = checked_by_callers(st, own, "lower")
    return lower, upper


def _parts_about(toks: list[str], rel: set[str], truth: bool) -> list[str]:
    """Of a chain whose every part has the whole's outcome (``A || B`` failed, ``A && B`` held),
    the parts that read one of ``rel`` (``w == 0 || h == 0 || w > MAX`` failed bounds ``h`` by
    nothing above); ``toks`` itself for any other condition."""
    parts = top_level_parts(toks, "&&" if truth else "||")
    if len(parts) < 2 or any(len(top_level_parts(p, "||" if truth else "&&")) > 1 for p in parts):
        return toks
    return [t for p in parts if rel & set(p) for t in p]


def uncontrolled_var(var: str, ev: Event, origins: Origins, params: bool) -> str | None:
    """Why ``var`` may hold an attacker-chosen, random or extreme value at ``ev``: "input (fgets)",
    "a random value", "an extreme value ...", "parameter 'n'" (with ``params``); None for a length
    of existing memory or anything else."""
    calls = origins.related_calls(ev, var)
    if calls & LENGTH_CALLS and not calls & RANDOM_CALLS:
        return None
    labels = ev.state.taint.get(var, frozenset())
    for v in ev.state.related(var):
        labels |= ev.state.taint.get(v, frozenset())
    labels = frozenset(lbl for lbl in labels if "fields" not in label_checks(lbl))  # a struct's numbers: call_sites
    external = sorted({label_source(lbl)[len(EXTERNAL) :] for lbl in labels if lbl.startswith(EXTERNAL)})
    if external:
        return f"input ({', '.join(external)})"
    if calls & RANDOM_CALLS or any(lbl.startswith("rand:") for lbl in labels):
        return "a random value"
    if origins.extreme(ev, var):
        return "an extreme value (a *_MAX limit)"
    if params and any(lbl.startswith(PARAM) for lbl in labels):
        return "parameter " + ", ".join(
            sorted({f"'{label_source(lbl)[len(PARAM) :]}'" for lbl in labels if lbl.startswith(PARAM)})
        )
    return None


# calls that return how many bytes (or items) they stored, at most their size argument (position)
# calls returning how much they read or copied, at most their argument at this position
# (s.copy(buf, n) returns the characters copied; std::copy returns an iterator, never an index)
READ_COUNTS = {"read": 2, "pread": 2, "recv": 2, "recvfrom": 2, "fread": 2, "readlink": 2, "copy": 1}


def _assigned_values(fn: FunctionFacts, var: str) -> list[tuple[object, Event]] | None:
    """Every value the function assigns to ``var`` with the event that assigns it; None when
    ``var`` is also changed by ``++``/``--``."""
    out = []
    for ev in fn.events:
        if ev.kind == "arith" and ev.name in ("++", "--") and ev.args and ast.base_var(ev.args[0]) == var:
            return None
        if ev.kind == "assign" and ev.name == var:
            out.append((ast.strip(ev.args[0]) if ev.args else None, ev))
    return out


READ_DESTINATIONS = {"read": 1, "pread": 1, "recv": 1, "recvfrom": 1, "fread": 0, "readlink": 1}


def read_leaves_room(fn: FunctionFacts, var: str, buffer: str, sizes: set[str]) -> bool:
    """Every value the function gives ``var`` is the count of a read into ``buffer`` of ``S - k``
    bytes (``k`` >= 1), ``S`` one of ``sizes`` (the buffer's size variables) or ``sizeof``
    the buffer: ``n = read(fd, buf, size - 1); buf[n] = '\\0';`` stays inside."""
    assigned = _assigned_values(fn, var)
    if not assigned:
        return False
    for call, _ in assigned:
        name = ast.call_name(call) if call is not None and call.kind == ci.CursorKind.CALL_EXPR else None
        if name not in READ_DESTINATIONS or len(args := ast.call_args(call)) <= READ_COUNTS[name]:
            return False
        if ast.base_var(args[READ_DESTINATIONS[name]]) != buffer:
            return False
        m = re.fullmatch(r"(\w+|sizeof \(? (\w+) \)?) - [1-9]\d*", ast.text(args[READ_COUNTS[name]]))
        if not m or not (m.group(1) in sizes or m.group(2) == buffer):
            return False
    return True


def read_count_bound(fn: FunctionFacts, var: str) -> int | None:
    """The most ``var`` can hold when every value the function gives it is the count a read
    returned (``n = read(fd, buf, sizeof buf - 1)``: at most 63) with a constant size argument;
    None when any assignment is something else, or ``var`` is changed by ``++``/``--``. Such a
    count is input, but bounded by the read: what an index needs then is its value's range
    (-1 on error for ``read``/``recv``), not a check against the array."""
    assigned = _assigned_values(fn, var)
    if not assigned:
        return None
    bound = 0
    for call, ev in assigned:
        name = ast.call_name(call) if call is not None and call.kind == ci.CursorKind.CALL_EXPR else None
        if name not in READ_COUNTS or len(args := ast.call_args(call)) <= READ_COUNTS[name]:
            return None
        value = values.const_value(args[READ_COUNTS[name]], ev.state)
        if value is None:
            return None
        bound = max(bound, value)
    return bound


def remainder_bound(fn: FunctionFacts, var: str) -> tuple[int, bool] | None:
    """(K, never negative) when every value the function gives ``var`` is a remainder by the
    constant K (``r = rand() % 100``): below K in magnitude, and never negative where the
    dividend is a generator's result or unsigned; None otherwise."""
    assigned = _assigned_values(fn, var)
    if not assigned:
        return None
    bound, nonneg = 0, True
    for value, ev in assigned:
        kids = (
            ast.children(value) if value is not None and value.kind == ci.CursorKind.BINARY_OPERATOR else []
        )
        if len(kids) != 2 or ast.binary_op(value) != "%":
            return None
        k = values.const_value(kids[1], ev.state)
        if k is None or k <= 0:
            return None
        left = ast.strip(kids[0])
        random = (
            left is not None and left.kind == ci.CursorKind.CALL_EXPR and ast.call_name(left) in RANDOM_CALLS
        )
        bound, nonneg = max(bound, k), nonneg and (random or is_unsigned(value))
    return bound, nonneg


def clamped(fn: FunctionFacts, ev: Event, var: str) -> bool:
    """``var`` was re-assigned under a relational check of itself before ``ev`` (``if (n > 31)
    n = 31;`` bounds ``n`` although the check does not dominate the use), or every value assigned
    to it before ``ev`` is the smaller of two (``n = len < sizeof out ? len : sizeof out``,
    ``std::min(len, cap)``, ``MIN(a, b)``). The first holds for what ``var`` was computed from as
    well: ``if (m < 1 || m > 10000) m = 64; int slots = m + 1;`` bounds ``slots``."""
    sources = {var} | set(ev.state.related(var))
    assigned = []
    for prior in fn.events:
        if prior is ev or prior.line > ev.line:
            break
        if prior.kind == "assign" and prior.name in sources:
            for g in prior.state.guards:
                if prior.name in g.vars and set(g.text.split()) & {"<", ">", "<=", ">="}:
                    return True
            if prior.name == var:
                assigned.append(prior.args[0] if prior.args else None)
    return bool(assigned) and all(a is not None and is_min_form(ast.text(a).split()) for a in assigned)


MIN_CALLS = {"min", "MIN", "fmin", "std::min"}
PARENS = ("(", ")")


def is_min_form(toks: list[str]) -> bool:
    """``toks`` (an expression's tokens) compute the smaller of two values: a call of min/MIN, or
    ``L < R ? L : R'`` / ``L > R ? R' : L`` where the branch taken when the comparison fails starts
    with the other side (``len < size ? len : size - 1``). A max (``a > b ? a : b``) is not."""
    if toks[:1] and toks[0] in MIN_CALLS or toks[:3] == ["std", "::", "min"]:
        return True
    if toks.count("?") != 1 or toks.count(":") != 1 or toks.index("?") > toks.index(":"):
        return False
    q, c = toks.index("?"), toks.index(":")
    cond, held, failed = [t for t in toks[:q] if t not in PARENS], toks[q + 1 : c], toks[c + 1 :]
    ops = [i for i, t in enumerate(cond) if t in ("<", "<=", ">", ">=")]
    if len(ops) != 1:
        return False
    left, right = cond[: ops[0]], cond[ops[0] + 1 :]
    small, large = (left, right) if cond[ops[0]] in ("<", "<=") else (right, left)
    strip = [t for t in held if t not in PARENS], [t for t in failed if t not in PARENS]
    return bool(small) and strip[0] == small and strip[1][: len(large)] == large
