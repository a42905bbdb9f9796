"""What the file's own calls hand their callees: which parameters a call passes input to
(:func:`input_params`), and which numeric parameters every call passes a value in range
(:func:`checked_number_params`), for :func:`seccodegen.judge.dataflow.analyze_translation_unit`."""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import ast, values
from seccodegen.judge.dataflow.facts import EXTERNAL, FunctionFacts, taint_of
from seccodegen.judge.dataflow.queries import ranges
from seccodegen.judge.dataflow.queries.origins import bound_sides, clamped, is_integer, is_unsigned

STRING_ELEMENT_KINDS = ast.CHAR_KINDS | {ci.TypeKind.WCHAR}  # char *, wchar_t *: a string's elements
NUMBER_KINDS = ast.INTEGER_KINDS | {
    ci.TypeKind.BOOL, ci.TypeKind.FLOAT, ci.TypeKind.DOUBLE, ci.TypeKind.LONGDOUBLE, ci.TypeKind.ENUM,
}  # fmt: skip
MAX_INPUT_ROUNDS = 3  # a helper of a helper of a helper of main: deeper chains are not followed


def input_params(
    facts: list[FunctionFacts],
    own: dict[str, list[str | None]],
    inputs: dict[str, dict[str, frozenset[str]]],
    macros: dict[str, int],
) -> set[str]:
    """Add to ``inputs`` (function -> parameter -> ``src:`` labels) the parameters of the file's
    own functions (``own``: function -> :func:`value_params`) that some call in ``facts`` passes
    input to; return the functions that gained. A number the caller checked at both ends on the
    way to the call (an unsigned one: above) passes no input: the callee gets a value in range,
    as CodeQL's bounds-check barrier stops the flow at the checked variable (``macros``: the
    file's integer ``#define``s, :func:`ranges.macro_values`)."""
    gained: set[str] = set()
    for f in facts if own else ():  # calls() with no names would be every call
        for ev in f.calls(*own):
            if ev.obj is not None:
                continue
            for name, arg in zip(own[ev.name], ev.args):
                if name is None or in_range_number(f, ev, arg, macros):
                    continue  # a number the caller range-checked: fill(rgb, width) after width <= MAX_DIM
                labels = frozenset(lbl for lbl in taint_of(arg, ev.state) if lbl.startswith(EXTERNAL))
                have = inputs.setdefault(ev.name, {}).get(name, frozenset())
                if labels - have:
                    inputs[ev.name][name] = have | labels
                    gained.add(ev.name)
    return gained


def value_params(fn) -> list[str | None]:
    """Function definition ``fn``'s parameter names where the parameter holds a value a caller's input can be: a
    number, a character string (``char *``, a ``char`` array, ``std::string``); None for the others.
    A pointer to numbers or structs hands over memory whose contents the caller bounds (a
    running mean of the readings ``main`` stored, ``mean += v[i] / n``, is not input arithmetic)."""
    out: list[str | None] = []
    for p in fn.get_arguments():
        t = p.type.get_canonical()
        if t.kind in (ci.TypeKind.LVALUEREFERENCE, ci.TypeKind.RVALUEREFERENCE):
            t = t.get_pointee().get_canonical()
        if t.kind == ci.TypeKind.POINTER:
            ok = t.get_pointee().get_canonical().kind in STRING_ELEMENT_KINDS
        elif t.kind in (ci.TypeKind.CONSTANTARRAY, ci.TypeKind.INCOMPLETEARRAY):
            ok = t.element_type.get_canonical().kind in STRING_ELEMENT_KINDS
        else:
            ok = t.kind in NUMBER_KINDS or "basic_string" in t.spelling
        out.append(p.spelling if ok and p.spelling else None)
    return out


def in_range_number(fn: FunctionFacts, ev, arg, macros: dict[str, int]) -> bool:
    """``arg`` of the call ``ev`` in ``fn`` is a number the caller keeps in range: a constant, or
    integer variables that are constants, checked at both ends on the way (an unsigned one:
    above) or clamped (``if (n > 100) n = 100;``), combined by arithmetic (``w * h`` after both
    are checked; the product's own overflow is reported in the caller). A call's value is not,
    nor a value checked only against its type's limits (``times > INT_MAX``; ``macros``: the
    file's ``#define``s, for the bounds' values)."""
    v = ast.strip(arg)
    if v is None or not is_integer(v):
        return False
    if values.const_value(v, ev.state) is not None:
        return True
    nodes = list(v.walk_preorder())
    leaves = [n for n in nodes if n.kind == ci.CursorKind.DECL_REF_EXPR]
    if not leaves or any(n.kind == ci.CursorKind.CALL_EXPR for n in nodes):
        return False
    for n in leaves:
        name = ast.var_name(n)
        if not is_integer(n) or not name:
            return False
        if (
            values.const_value(n, ev.state) is not None
            or n.referenced is not None
            and n.referenced.kind == ci.CursorKind.ENUM_CONSTANT_DECL
        ):
            continue
        lower, upper = bound_sides(ev, name, directional=True)
        if not (upper and (lower or is_unsigned(n)) or clamped(fn, ev, name)):
            return False
        high = ranges.var_upper_bound(name, ev, macros)
        if high is not None and high >= 2**31 - 1:
            return False  # times > INT_MAX: a check of the type's own limit bounds nothing
    return True


def checked_number_params(
    facts: list[FunctionFacts], fns, macros: dict[str, int]
) -> dict[str, frozenset[str]]:
    """Function -> its integer parameters that every call in the file passes a number in range
    (:func:`in_range_number`), for functions other than ``main`` called at least once and only
    by name. Such a parameter is not the program's input: ``load_tiles(tiles, w, h, f)`` after
    ``if (w <= 0 || w > MAX_SIDE ...) return 1;`` gets sizes ``main`` checked, as the exploit
    tests, which run the program through ``main``, find too."""
    ints = {
        fn.spelling: [(i, p.spelling) for i, p in enumerate(fn.get_arguments())
                      if p.spelling and p.type.get_canonical().kind in ast.INTEGER_KINDS]
        for fn in fns if fn.spelling != "main"
    }  # fmt: skip
    ints = {name: params for name, params in ints.items() if params}
    ok: dict[str, set[str]] = {name: {p for _, p in params} for name, params in ints.items()}
    called: set[str] = set()
    for f in facts if ints else ():
        for ev in f.calls(*ints):
            called.add(ev.name)
            for i, p in ints[ev.name]:
                if ev.obj is not None or i >= len(ev.args) or not in_range_number(f, ev, ev.args[i], macros):
                    ok[ev.name].discard(p)
    return {name: frozenset(ps) for name, ps in ok.items() if ps and name in called}
