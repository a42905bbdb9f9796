"""Upper bounds of integer expressions from the checks on the way to a point, for integer-overflow.

A relational check proves a bound only when it compares with a constant: after
``if (w > MAX_SIDE || h > MAX_SIDE) return NULL;`` (with ``#define MAX_SIDE 100000u``) both
``w`` and ``h`` are at most 100,000, and ``w * h`` in 32 bits may still wrap (10^10 > 2^32).
This module reads such bounds, the way CodeQL's range analysis (``SimpleRangeAnalysis``, used
by ``cpp/tainted-arithmetic`` and ``cpp/uncontrolled-allocation-size``) bounds a variable by the
guards that dominate it, in a much smaller form:

* atoms ``v < K``, ``v <= K``, ``K > v``, ``K >= v`` (K an integer literal, a ``#define``d integer
  or a variable holding a known constant) of a condition that *held* (an enclosing ``if``/loop),
  when the condition is one atom or a ``&&`` of atoms (``!v`` atoms give no bound and are passed
  over; a negated group ``!(...)`` gives none at all);
* the negated atoms (``v > K``, ``v >= K``, ...) of a condition that *failed* on the way (an
  earlier ``if (...) return;``), when it is one atom or an ``||`` of atoms;
* an expression's bound from its operands' (``+``, ``*``, ``<<``, casts, parentheses,
  ``sizeof`` and other constant expressions clang evaluates).

Anything else (a comparison with another variable, ``SIZE_MAX / n``, mixed ``&&``/``||``) gives
no bound, and the query falls back to counting the check as a guard.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import clang.cindex as ci

from seccodegen.judge.analyzers.integer_text import define_values
from seccodegen.judge.dataflow import Event, ast, values
from seccodegen.judge.dataflow.queries.origins import bound_sides, is_unsigned

K = ci.CursorKind
INT_TOKEN = re.compile(r"^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$")
FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
# <limits.h>/<stdint.h> on the LP64 targets the judge compiles for
LIMITS = {
    "CHAR_MAX": 2**7 - 1, "SCHAR_MAX": 2**7 - 1, "UCHAR_MAX": 2**8 - 1, "SHRT_MAX": 2**15 - 1,
    "USHRT_MAX": 2**16 - 1, "INT_MAX": 2**31 - 1, "UINT_MAX": 2**32 - 1, "LONG_MAX": 2**63 - 1,
    "ULONG_MAX": 2**64 - 1, "LLONG_MAX": 2**63 - 1, "ULLONG_MAX": 2**64 - 1, "SIZE_MAX": 2**64 - 1,
    "SSIZE_MAX": 2**63 - 1, "INT8_MAX": 2**7 - 1, "UINT8_MAX": 2**8 - 1, "INT16_MAX": 2**15 - 1,
    "UINT16_MAX": 2**16 - 1, "INT32_MAX": 2**31 - 1, "UINT32_MAX": 2**32 - 1, "INT64_MAX": 2**63 - 1,
    "UINT64_MAX": 2**64 - 1,
}  # fmt: skip


def macro_values(path: str) -> dict[str, int]:
    """``#define NAME 123`` integer macros of a source file."""
    try:
        source = Path(path).read_bytes()
    except OSError:
        return {}
    return LIMITS | define_values(source)


def _constant(token: str, ev: Event, macros: dict[str, int]) -> int | None:
    m = INT_TOKEN.match(token)
    if m:
        return int(m.group(1), 0)
    return macros.get(token, ev.state.consts.get(token))


def _atoms(text: str, joiner: str) -> list[list[str]] | None:
    """The atoms of a condition joined only by ``joiner`` (``&&`` or ``||``), parentheses dropped."""
    other = "||" if joiner == "&&" else "&&"
    raw = text.split()
    if any(t == "!" and (i + 1 == len(raw) or raw[i + 1] == "(") for i, t in enumerate(raw)):
        return None  # a negated group flips its atoms; "!v" alone is an atom of two tokens, skipped
    toks = [t for t in raw if t not in ("(", ")")]
    if other in toks:
        return None
    atoms, cur = [], []
    for t in toks:
        if t == joiner:
            atoms.append(cur)
            cur = []
        else:
            cur.append(t)
    atoms.append(cur)
    return atoms


def settled_atoms(ev: Event, var: str) -> Iterator[tuple[list[str], bool]]:
    """(atom, held) for each comparison the conditions on the way to ``ev`` that read ``var``
    settle: every part of a condition that held with ``&&`` (held), or failed with ``||`` or as
    an earlier check that left (failed); parentheses dropped, mixed chains skipped."""
    sources = [(g, True) for g in ev.state.guards if g.truth] + [(g, False) for g in ev.state.checks]
    sources += [(g, False) for g in ev.state.guards if not g.truth]
    for guard, held in sources:
        if var in guard.vars:
            for atom in _atoms(guard.text, "&&" if held else "||") or []:
                yield atom, held


def var_upper_bound(var: str, ev: Event, macros: dict[str, int]) -> int | None:
    """The smallest upper bound on ``var`` that a check on the way to ``ev`` proves, or None."""
    best = None
    for atom, held in settled_atoms(ev, var):
        if len(atom) != 3:
            continue
        left, op, right = atom
        if op not in FLIP:
            continue
        if right == var:  # K > v  ->  v < K
            left, op, right = right, FLIP[op], left
        if left != var:
            continue
        k = _constant(right, ev, macros)
        if k is None:
            continue
        if not held:  # the atom failed: v > K failed -> v <= K
            op = {">": "<=", ">=": "<", "<": None, "<=": None}[op]
            if op is None:
                continue  # a failed "v < K" gives a lower bound
        bound = k - 1 if op == "<" else k if op == "<=" else None
        if bound is not None and (best is None or bound < best):
            best = bound
    return best


def upper_bound(c, ev: Event, macros: dict[str, int]) -> int | None:
    """An upper bound on the value of expression ``c`` at ``ev`` (non-negative operands assumed
    for ``*`` and ``<<``), or None when some part has none."""
    c = ast.strip(c)
    if c is None:
        return None
    if not ast.refs(c):  # a constant expression (sizeof, a literal, an enumerator)
        return values.const_value(c, ev.state)
    if c.kind == K.DECL_REF_EXPR:
        known = values.const_value(c, ev.state)  # a known value, or a checked bound: the smaller (a check may
        name = ast.var_name(c)  # exclude the known value: `d = LLONG_MAX; if (d < LLONG_MAX) d + 1`)
        checked = var_upper_bound(name, ev, macros) if name else None
        if checked is None and known is not None and name and bound_sides(ev, name)[1]:
            return None  # checked against something unreadable: the known value may be excluded
        bounds = [b for b in (known, checked) if b is not None]
        return min(bounds) if bounds else None
    kids = [k for k in ast.children(c) if k.kind != K.TYPE_REF]
    if c.kind in (K.PAREN_EXPR, K.CSTYLE_CAST_EXPR, K.CXX_STATIC_CAST_EXPR, K.CXX_FUNCTIONAL_CAST_EXPR,
                  K.UNEXPOSED_EXPR) and kids:  # fmt: skip
        return upper_bound(kids[-1], ev, macros)
    if c.kind == K.BINARY_OPERATOR and len(kids) == 2:
        a, b = upper_bound(kids[0], ev, macros), upper_bound(kids[1], ev, macros)
        if a is None or b is None or a < 0 or b < 0:
            return None
        op = ast.binary_op(c)
        return {"+": a + b, "*": a * b, "<<": a << b if b < 128 else None}.get(op)
    return None


def type_max(c) -> int | None:
    """The largest value of ``c``'s integer type."""
    t = c.type.get_canonical()
    size = t.get_size()
    if not size or size <= 0:
        return None
    return 2 ** (size * 8) - 1 if is_unsigned(c) else 2 ** (size * 8 - 1) - 1


def loop_iterations(ev: Event, macros: dict[str, int]) -> int | None:
    """An upper bound on how often the loops around ``ev`` run together: each guarding loop's
    condition is ``i < n`` (or ``i <= n``) with ``n`` a constant or bounded by a check
    (``for (i = 0; i < n; i++)`` after ``if (n > MAX_STUDENTS) return``), and the counter starts
    at zero or above; None when one is not (``while (scanf(...) == 1)``)."""
    loops = [g for g in ev.state.guards if g.loop]
    if not loops:
        return None
    total = 1
    for g in loops:
        atoms = _atoms(g.text, "&&") or []
        counts = []
        for atom in atoms:
            if len(atom) == 3 and atom[1] in ("<", "<="):
                limit = _constant(atom[2], ev, macros)
                if limit is None and re.fullmatch(r"[A-Za-z_]\w*", atom[2]):
                    limit = var_upper_bound(atom[2], ev, macros)
                if limit is not None and limit >= 0:
                    counts.append(limit + (atom[1] == "<="))
        if not counts:
            return None
        total *= min(counts)
    return total
