"""What the file's own calls hand their callees: which parameters a call passes input to
(:func:`input_params`), and which numeric parameters every call passes a value in range
(:func:`checked_number_params`), for :func:`seccodegen.judge.dataflow.analyze_translation_unit`."""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import ast, values
from seccodegen.judge.dataflow.facts import EXTERNAL, FunctionFacts, guarded, taint_of, with_checks
from seccodegen.judge.dataflow.guard_kinds import RELATIONAL
from seccodegen.judge.dataflow.queries import ranges
from seccodegen.judge.dataflow.queries.origins import bound_sides, clamped, is_integer, is_unsigned

STRING_ELEMENT_KINDS = ast.CHAR_KINDS | {ci.TypeKind.WCHAR}  # char *, wchar_t *: a string's elements
NUMBER_KINDS = ast.INTEGER_KINDS | {
    ci.TypeKind.BOOL, ci.TypeKind.FLOAT, ci.TypeKind.DOUBLE, ci.TypeKind.LONGDOUBLE, ci.TypeKind.ENUM,
}  # fmt: skip
MAX_INPUT_ROUNDS = 3  # a helper of a helper of a helper of main: deeper chains are not followed
STRING_CHECKS = ("path", "allowlist")  # checks a caller makes on text that a callee's sinks accept
# the mark of input handed over inside a struct: its text fields reach the callee's text sinks, but
# its numbers are not followed field by field (the caller's `req.used > LOG_CAP` check is not seen)
RECORD_TEXT = frozenset({"fields"})


def checks_made(ev, arg) -> frozenset[str]:
    """The kinds of check (``STRING_CHECKS``) that protect ``arg`` of call ``ev`` in the caller:
    ``if (!valid_name(name)) return 1; save(name, ...)`` passes a path-checked name; and
    ``lower`` for an integer variable the caller proved non-negative (``if (width <= 0)
    continue; draw(width);``: the callee's own upper clamp then bounds it at both ends); and
    ``length`` for text whose length a comparison read (``if (strlen(nick) + strlen(msg) + 4 >
    sizeof out) continue; format_line(out, nick, msg);``: the callee's copies were measured)."""
    names = ({ast.base_var(arg)} - {None}) | ast.refs(arg)
    kinds = {k for k in STRING_CHECKS if any(guarded(ev, v, k) for v in names)}
    if _length_compared(ev, names):
        kinds.add("length")
    v = ast.strip(arg)
    if v is not None and v.kind == ci.CursorKind.DECL_REF_EXPR and is_integer(v) and (name := ast.var_name(v)):
        if is_unsigned(v) or bound_sides(ev, name, directional=True)[0]:
            kinds.add("lower")
    return frozenset(kinds)


LENGTH_OF = {"strlen", "strnlen", "wcslen"}


def _length_compared(ev, names: set[str]) -> bool:
    """A comparison on the way to ``ev`` reads the length of one of ``names`` (``strlen(s) > N``,
    ``s.size() >= cap``)."""
    for g in list(ev.state.guards) + list(ev.state.checks):
        toks = g.text.split()
        if not set(toks) & RELATIONAL:
            continue
        for i, t in enumerate(toks[:-2]):
            if t in LENGTH_OF and toks[i + 1] == "(" and toks[i + 2] in names:
                return True
            if t in names and toks[i + 1] == "." and toks[i + 2] in ("size", "length"):
                return True
    return False


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
    file's integer ``#define``s, :func:`ranges.macro_values`). Text the caller checked is marked
    with the checks it passed (:func:`checks_made`, ``src:stdin@path``)."""
    gained: set[str] = set()
    for f in facts if own else ():  # calls() with no names would be every call
        for ev in f.calls(*own):
            if ev.obj is not None:
                continue
            for name, arg in zip(own[ev.name], ev.args):
                if name is None or in_range_number(f, ev, arg, macros):
                    continue  # a number the caller range-checked: fill(rgb, width) after width <= MAX_DIM
                kinds = checks_made(ev, arg) | (RECORD_TEXT if _is_record(arg) else frozenset())
                labels = frozenset(
                    with_checks(lbl, kinds) for lbl in taint_of(arg, ev.state) if lbl.startswith(EXTERNAL)
                )
                have = inputs.setdefault(ev.name, {}).get(name, frozenset())
                if labels - have:
                    inputs[ev.name][name] = have | labels
                    gained.add(ev.name)
    return gained


def value_params(fn) -> list[str | None]:
    """Function definition ``fn``'s parameter names where the parameter holds a value a caller's input can be: a
    number, a character string (``char *``, a ``char`` array, ``std::string``), or a struct with a
    text field (by value or pointer: a parsed request); None for the others. A pointer to numbers
    or to structs of numbers hands over memory whose contents the caller bounds (a running mean
    of the readings ``main`` stored, ``mean += v[i] / n``, is not input arithmetic)."""
    out: list[str | None] = []
    for p in fn.get_arguments():
        t = p.type.get_canonical()
        if t.kind in (ci.TypeKind.LVALUEREFERENCE, ci.TypeKind.RVALUEREFERENCE):
            t = t.get_pointee().get_canonical()
        if t.kind == ci.TypeKind.POINTER:
            pointee = t.get_pointee().get_canonical()
            ok = pointee.kind in STRING_ELEMENT_KINDS or _holds_text(pointee)
        elif t.kind in (ci.TypeKind.CONSTANTARRAY, ci.TypeKind.INCOMPLETEARRAY):
            ok = t.element_type.get_canonical().kind in STRING_ELEMENT_KINDS
        elif t.kind == ci.TypeKind.RECORD and "basic_string" not in t.spelling:
            ok = _holds_text(t)
        else:
            ok = t.kind in NUMBER_KINDS or "basic_string" in t.spelling
        out.append(p.spelling if ok and p.spelling else None)
    return out


def _is_record(arg) -> bool:
    """``arg`` is a struct of the program's own or a pointer to one (``&req``, ``r``; a
    ``std::string`` built from ``argv[1]`` is text, not a struct)."""
    v = ast.strip(arg)
    t = v.type.get_canonical() if v is not None else None
    if t is not None and t.kind == ci.TypeKind.POINTER:
        t = t.get_pointee().get_canonical()
    return t is not None and t.kind == ci.TypeKind.RECORD and "std::" not in t.spelling


def _holds_text(record) -> bool:
    """``record`` is a C struct with a text field (a ``char`` array or pointer): the request a
    parser filled from input (``struct auth_event { char user[64]; ... }``), whose fields a callee
    formats, opens or copies. Structs of numbers alone stay out (a running mean's readings)."""
    if record.kind != ci.TypeKind.RECORD:
        return False
    for f in record.get_fields():
        t = f.type.get_canonical()
        element = t.element_type if t.kind == ci.TypeKind.CONSTANTARRAY else t.get_pointee() if t.kind == ci.TypeKind.POINTER else None
        if element is not None and element.get_canonical().kind in STRING_ELEMENT_KINDS:
            return True
    return False


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


def checked_text_params(facts: list[FunctionFacts], fns) -> dict[str, dict[str, frozenset[str]]]:
    """Function -> text parameter -> the checks (:func:`checks_made`) that every call in the file
    made on the argument, for functions other than ``main`` called at least once and only by
    name: ``save_upload(name, body)`` called only after ``if (!acceptable_name(name)) return 1;``
    gets a path-checked name, and its parameter label says so (``param:name@allowlist,path``)."""
    texts = {fn.spelling: list(enumerate(value_params(fn))) for fn in fns if fn.spelling != "main"}
    made: dict[str, dict[str, frozenset[str]]] = {}
    for f in facts if texts else ():
        for ev in f.calls(*texts):
            for i, name in texts[ev.name]:
                if name is None:
                    continue
                kinds = checks_made(ev, ev.args[i]) if ev.obj is None and i < len(ev.args) else frozenset()
                have = made.setdefault(ev.name, {}).get(name)
                made[ev.name][name] = kinds if have is None else have & kinds
    return {fn: {p: k for p, k in ps.items() if k} for fn, ps in made.items() if any(ps.values())}
