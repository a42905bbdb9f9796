"""What a condition's source tokens prove about a variable, read without a syntax tree: which
side of it a comparison bounds (``n < len`` held bounds ``n`` above; ``n >= len`` held only below),
what a chain joined by ``&&`` or ``||`` proves part by part, whether a variable stands only in
an equality or a subscript, and constant ranges (``c >= '0' && c <= '9'``). The dataflow core
records conditions as :class:`~seccodegen.judge.dataflow.facts.Guard` token lists; the queries'
``bound_sides`` (:mod:`.origins`) reads them through these helpers.
"""

from __future__ import annotations

from seccodegen.judge.dataflow.guard_kinds import RELATIONAL


def only_equality(toks: list[str], var: str) -> bool:
    """``var`` appears in condition ``toks`` only as an operand of ``==``/``!=``: ``end == s`` with
    ``end = s + n - 1`` tells nothing of how large ``n`` is, unlike a tested flag ``ok``."""
    at = [i for i, t in enumerate(toks) if t == var]
    eq = ("==", "!=")
    return bool(at) and all(
        (i and toks[i - 1] in eq) or (i + 1 < len(toks) and toks[i + 1] in eq) for i in at
    )


def truth_tested(toks: list[str], var: str) -> bool:
    """``var`` stands alone as a truth value somewhere in condition ``toks`` (``!ok``,
    ``ok && ...``), not as an operand of a comparison or arithmetic: a value from the same input
    compared on its own (``day > 31`` beside ``month``) is no flag of ``month``."""
    ends = {"!", "(", ")", "&&", "||"}
    return any(
        t == var and (i == 0 or toks[i - 1] in ends) and (i + 1 == len(toks) or toks[i + 1] in ends)
        for i, t in enumerate(toks)
    )


def only_subscripted(toks: list[str], var: str) -> bool:
    """Every occurrence of ``var`` in ``toks`` is inside ``[...]``."""
    depth = 0
    for t in toks:
        depth += t == "["
        depth -= t == "]"
        if t == var and depth == 0:
            return False
    return True


RELATIONS = RELATIONAL  # the relational operators
COMPOUND = {"&&", "||", "!", "?", ",", "==", "!=", "="}
SIGN_LIMITS = (["0"], ["1"], ["-", "1"], ["0u"], ["0U"])


def lone_comparison(toks: list[str], rel: set[str], truth: bool) -> tuple[bool, bool] | None:
    """(lower, upper) that a condition of one comparison ``L op R`` that held (``truth``) or
    failed proves for the variables ``rel`` standing on one side of it: ``n < len`` held, or
    ``n >= len`` failed, bounds ``n`` above; ``n >= len`` held bounds it only below (a check in
    the wrong direction), and ``n >= 0`` held is the lower check. None for anything compound
    (``&&``, ``||``, ``!``, several comparisons), or when ``rel`` stands on both sides or neither."""
    at = [i for i, t in enumerate(toks) if t in RELATIONS]
    if len(at) != 1 or COMPOUND & set(toks):
        return None
    i = at[0]
    left, right = toks[:i], toks[i + 1 :]
    on_left, on_right = bool(rel & set(left)), bool(rel & set(right))
    if on_left == on_right:
        return None
    less = toks[i] in ("<", "<=")
    above = less == truth if on_left else less != truth  # var < other, or other > var, held
    other = right if on_left else left
    if other in SIGN_LIMITS:  # a sign check: var >= 0 / var > -1 held, or var < 0 failed
        return (not above, False)
    return (not above and other[:1] != ["-"], above)


def top_level_parts(toks: list[str], op: str) -> list[list[str]]:
    """``toks`` split at ``op`` outside parentheses (one part when ``op`` does not occur there)."""
    parts, depth, cur = [], 0, []
    for t in toks:
        depth += t in ("(", "[")
        depth -= t in (")", "]")
        if t == op and depth == 0:
            parts.append(cur)
            cur = []
        else:
            cur.append(t)
    return [*parts, cur]


def enclosed(toks: list[str]) -> bool:
    """``toks`` is one parenthesised expression: ``( a || b )``, not ``( a ) || ( b )``."""
    if len(toks) < 3 or toks[0] != "(" or toks[-1] != ")":
        return False
    depth = 0
    for t in toks[:-1]:
        depth += (t == "(") - (t == ")")
        if depth == 0:
            return False
    return True


def compound_sides(toks: list[str], rel: set[str], truth: bool) -> tuple[bool, bool] | None:
    """(lower, upper) that a chain ``A && B && ...`` or ``A || B || ...`` proves: where every part
    has the whole's outcome (``&&`` held, ``||`` failed: ``if (!s || n > len) return``), what any
    part proves; otherwise (``||`` held, ``&&`` failed) only what every part proves, since any one
    of them may be the part that decided (``if (n == 0 || n > len) return s + len - n;`` does not
    bound ``n`` above). None for anything else (one comparison, a mix of ``&&`` and ``||``)."""
    while enclosed(toks):
        toks = toks[1:-1]  # (A || B)
    for op, other in (("&&", "||"), ("||", "&&")):
        parts = top_level_parts(toks, op)
        if len(parts) < 2:
            continue
        if any(len(top_level_parts(p, other)) > 1 for p in parts):
            return None
        proofs = []
        for part in parts:
            while enclosed(part):
                part = part[1:-1]
            sides = lone_comparison(part, rel, truth) or compound_sides(part, rel, truth)
            if sides is None:  # a part about other variables proves nothing; one about var that
                # cannot be read by direction (var on both sides) counts as before, undirected
                sides = any_comparison(part) if rel & set(part) else (False, False)
            proofs.append(sides)
        if (op == "&&") == truth:  # every part has the whole's outcome
            return any(p[0] for p in proofs), any(p[1] for p in proofs)
        return all(p[0] for p in proofs), all(p[1] for p in proofs)
    return None


def literal_value(token: str) -> int | None:
    """The value of an integer literal (``10``, ``0x1f``, ``64u``) or a character literal of one
    plain character (``'0'``); None for anything else."""
    if len(token) == 3 and token[0] == token[2] == "'" and token[1] != "\\":
        return ord(token[1])
    try:
        return int(token.rstrip("uUlL"), 0)
    except ValueError:
        return None


def constant_range(toks: list[str], rel: set[str]) -> bool:
    """Condition ``toks`` compares one of ``rel`` with two different non-negative constants (the
    two ends of a range, either way the test is written): both bounds of a value in it."""
    ends = set()
    for i, t in enumerate(toks):
        if t in RELATIONS and 0 < i < len(toks) - 1:
            left, right = toks[i - 1], toks[i + 1]
            value = literal_value(right) if left in rel else literal_value(left) if right in rel else None
            if value is not None and value >= 0 and (i + 2 >= len(toks) or toks[i + 2] in COMPOUND | {")"}):
                ends.add(value)
    return len(ends) >= 2


def constant_choice(toks: list[str], rel: set[str], truth: bool) -> bool:
    """Condition ``toks`` pins one of ``rel`` to listed constants: ``ch == 1 || ch == 3`` held, or
    ``ch != 1 && ch != 3 && ch != 4`` failed (the rejection of anything else): both bounds."""
    joiner, op = ("||", "==") if truth else ("&&", "!=")
    parts, cur = [], []
    for t in toks + [joiner]:
        if t == joiner:
            parts.append(cur)
            cur = []
        elif t not in ("(", ")"):
            cur.append(t)
    for part in parts:
        if len(part) != 3 or part[1] != op:
            return False
        left, right = part[0], part[2]
        if not (left in rel and literal_value(right) is not None or right in rel and literal_value(left) is not None):
            return False
    return bool(parts)


def any_comparison(toks: list[str]) -> tuple[bool, bool]:
    """(lower, upper) read without direction: a comparison with zero (or one, or a negative
    number) is the lower check, any other the upper check; an overflow builtin is both."""
    lower = upper = False
    for i, t in enumerate(toks):
        if t not in RELATIONS:
            continue
        left, right = toks[i - 1] if i else "", toks[i + 1] if i + 1 < len(toks) else ""
        if right in ("0", "1") or left in ("0",) or (right == "-" and i + 2 < len(toks)):
            lower = True
        else:
            upper = True
    if any(t in ("__builtin_add_overflow", "__builtin_mul_overflow") for t in toks):
        lower = upper = True
    return lower, upper
