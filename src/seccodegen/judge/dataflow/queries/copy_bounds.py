"""The copy half of the out-of-bounds query (its ``unbounded-write`` pattern, documented in
:mod:`.out_of_bounds`): ``gets``, ``in >> buf`` with no width, ``strcpy``/``strcat``/``sprintf``
of an uncontrolled string, and counted copies, fills and reads whose count is uncontrolled, into
a fixed-size array or a pointer parameter every caller fills with one."""

from __future__ import annotations

import re

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast
from seccodegen.judge.dataflow.facts import checked_by_callers
from seccodegen.judge.dataflow.guard_kinds import RELATIONAL
from seccodegen.judge.dataflow.queries import ranges
from seccodegen.judge.dataflow.queries.base import Hit
from seccodegen.judge.dataflow.queries.buffer_pairs import caller_array_sizes, size_pairs
from seccodegen.judge.dataflow.queries.index_values import decl_ref
from seccodegen.judge.dataflow.queries.origins import (
    Origins,
    bound_sides,
    clamped,
    is_integer,
    uncontrolled_var,
)

K = ci.CursorKind
STRING_COPIES = {"strcpy": (1,), "strcat": (1,), "wcscpy": (1,), "wcscat": (1,), "stpcpy": (1,),
                 "sprintf": "*2", "vsprintf": "*2", "copy": (0, 1)}  # fmt: skip
# the end of a range that spans a whole string or container: std::copy(s.begin(), s.end(), buf)
WHOLE_RANGE_ENDS = {"end", "cend", "size", "length", "strlen"}
SIZED_COPIES = {"memcpy": 2, "memmove": 2, "strncpy": 2, "strncat": 2, "memset": 2, "fgets": 1,
                "read": 2, "recv": 2, "fread": 2}  # fmt: skip
ELEMENT_SIZES = {"fread": 1}  # fread(buf, size, count, f): the bytes are size * count, either may be input
DEST = {"read": 1, "recv": 1, "copy": 2}  # destination argument position where it is not 0
CHAR_KINDS = ast.CHAR_KINDS
# lengths of a string (strnlen is bounded by its second argument, so it is not here)
STRING_LENGTHS = {"strlen", "wcslen", "size", "length"}
# an assigned value limited where it is computed: a conditional, a min(), a remainder, a mask
CLAMPED = re.compile(r"\?|\bmin\b|\bMIN\b|%|&(?!&)|\bsizeof\b")
# member reads of a C++ stream into a buffer: in.read(buf, n), in.getline(buf, n), ...: size position
STREAM_SIZED = {"read": 1, "readsome": 1, "get": 1, "getline": 1}
STRING_SIZED = {"copy": 1}  # s.copy(buf, n): n characters of s into buf


def _unbounded_extraction(fn: FunctionFacts, target) -> bool:
    """``in >> buf`` with ``buf`` a fixed-size char array and no field width set in the function
    (``std::setw(n)``, ``in.width(n)``): before C++20 (the scenarios build as C++17) the
    extraction writes the whole word, like ``gets``; C++20 bounds it by the array's size."""
    t = ast.array_type(target)
    if t is None or t.element_type.get_canonical().kind not in CHAR_KINDS:
        return False
    body = fn.body_text
    return "setw" not in body and ". width (" not in body and "-> width (" not in body


def string_length_of(
    var: str, ev: Event, origins: Origins, fn: FunctionFacts, dest: str | None, size: int
) -> str | None:
    """Why ``var`` is the length of an attacker-sized string that need not fit ``dest`` (an array
    of ``size`` elements): ``n = strlen(s)`` (or ``s.size()``) of a parameter or input ``s``, with
    ``s`` not ``dest`` itself (``len = strlen(buf)`` of a buffer's own contents always fits it) and
    not an array no larger than ``dest`` (nor a parameter every caller fills with one); None for
    anything else, or when ``var`` was clamped where it was assigned (``n = len < sizeof buf ?
    len : sizeof buf - 1``, ``MIN(...)``, ``% N``)."""
    if not origins.related_calls(ev, var) & STRING_LENGTHS:
        return None
    rel = ev.state.related(var)
    if dest in rel or any(CLAMPED.search(t) for v in rel for t in origins.texts.get(v, [])):
        return None
    for v in sorted(rel - {var}):
        why = uncontrolled_var(v, ev, origins, params=True) if _string_var(fn, v, size) else None
        if why:
            return f"the length of {why}" if why.startswith("parameter") else f"the length of '{v}', {why}"
    return None


def _string_var(fn: FunctionFacts, name: str, size: int) -> bool:
    """``name`` is a pointer or a string object (not an integer, and not an array of at most
    ``size`` elements, whose contents fit a destination of ``size``)."""
    decl = decl_ref(fn.cursor, name) if fn.cursor is not None else None
    if decl is None or is_integer(decl):
        return False
    own = ast.array_size(decl)
    if own is None and name in fn.params:
        own = caller_array_sizes(fn).get(name)  # every caller passes an array of at most `own`
    return own is None or own > size


def _caller_array_size(fn: FunctionFacts, dest) -> int | None:
    """The size of the arrays every caller passes for pointer parameter ``dest`` (``char out[64]``
    handed to ``join(parts, out)``), or None: the destination is not a bare parameter, or some
    call passes something else."""
    name = ast.var_name(ast.strip(dest)) if dest is not None else None
    if not name or name not in fn.params or ast.strip(dest).kind != K.DECL_REF_EXPR:
        return None
    return caller_array_sizes(fn).get(name)


def member_sizes(ev: Event) -> dict[str, int]:
    """The size positions of a member call that copies into a buffer it is given: a C++ input
    stream's ``in.read(buf, n)``-style reads, a string's ``s.copy(buf, n)``; else empty."""
    if ev.obj is None or len(ev.args) < 2:
        return {}
    try:
        kind = ev.obj.type.get_canonical().spelling
    except AttributeError:
        return {}
    table = STREAM_SIZED if "stream" in kind else STRING_SIZED if "basic_string" in kind else {}
    return table if ev.name in table else {}


def copy_hit(rule: str, fn: FunctionFacts, ev: Event, origins: Origins) -> Hit | None:
    """The ``unbounded-write`` part of out-of-bounds for the call ``ev``: a copy, fill or read
    into a fixed-size array (or a parameter every caller fills with one) that its length does not fit."""
    if ev.name in ("gets", "_getws"):
        return _hit(rule, ev, ("CWE-787", "CWE-242"), "gets() cannot bound its write")
    if ev.name == "operator>>" and len(ev.args) == 2 and _unbounded_extraction(fn, ev.args[1]):
        return _hit(rule, ev, ("CWE-787", "CWE-120", "CWE-242"),
                    f"'>>' into the {ast.array_size(ev.args[1])}-byte array '{ast.compact(ev.args[1])}' "
                    "reads a whole word, however long, with no std::setw")  # fmt: skip
    if ev.name in FORMATTED_SIZES and ev.obj is None and (hit := _size_from_a_source(rule, ev)):
        return hit
    member = ev.obj is not None  # a stream's read(buf, n), a string's copy(buf, n) (see member_sizes)
    dest_pos = 0 if member else DEST.get(ev.name, 0)
    sized = member_sizes(ev) if member else SIZED_COPIES
    if (member or ev.name not in STRING_COPIES) and ev.name not in sized or len(ev.args) <= dest_pos:
        return None
    size = ast.array_size(ev.args[dest_pos]) or _caller_array_size(fn, ev.args[dest_pos])
    if size is None:
        return None
    if ev.name in STRING_COPIES and not member:
        if ev.name == "copy" and not (len(ev.args) == 3 and ast.calls_in(ev.args[1]) & WHOLE_RANGE_ENDS):
            return None  # std::copy of a range whose length is not the source's whole length
        spec = STRING_COPIES[ev.name]
        positions = range(int(spec[1:]), len(ev.args)) if isinstance(spec, str) else spec
        for pos in positions:
            if pos >= len(ev.args):
                continue
            for var in sorted(ast.refs(ev.args[pos])):
                why = uncontrolled_var(var, ev, origins, params=True)
                if why and not any(bound_sides(ev, v)[1] for v in ev.state.related(var)) and not checked_by_callers(ev.state, ev.state.related(var), "length"):
                    return _hit(rule, ev, ("CWE-787", "CWE-120"),
                                f"{ev.name}() of '{var}' ({why}) into a {size}-element array, length unchecked")  # fmt: skip
        return None
    positions = [
        p for p in (sized[ev.name], ELEMENT_SIZES.get(ev.name)) if p is not None and p < len(ev.args)
    ]
    if not positions:
        return None
    dest = ast.base_var(ev.args[dest_pos])
    for var in sorted(set().union(*(ast.refs(ev.args[p]) for p in positions))):
        if (dest, var) in size_pairs(fn):
            continue  # the destination's own size, which its callers pass with it
        why = uncontrolled_var(var, ev, origins, params=True) or string_length_of(
            var, ev, origins, fn, dest, size
        )
        if why and not (
            bound_sides(ev, var, selectors=origins.selectors(ev, var))[1] or clamped(fn, ev, var)
        ):
            return _hit(rule, ev, ("CWE-787", "CWE-805"),
                        f"{ev.name}() size '{var}' ({why}) not checked against the {size}-element destination")  # fmt: skip
        computed = var == dest or any(ast.is_sizeof(n) for p in positions for n in ev.args[p].walk_preorder())
        if (
            why
            and not computed
            and not clamped(fn, ev, var)
            and (
                other := _bounded_by_variables_only(
                    ev, var, set(_value_names(ast.tokens(ev.args[dest_pos]))) - {"data"}, file_constants(fn)
                )
            )
        ):
            return _hit(rule, ev, ("CWE-787", "CWE-805"),
                        f"{ev.name}() size '{var}' ({why}) is compared with '{other}' only, "
                        f"not with the {size}-element destination")  # fmt: skip
    return None


FORMATTED_SIZES = {"snprintf": 1, "vsnprintf": 1, "strncpy": 2, "memcpy": 2, "strncat": 2}  # -> size position


def _size_from_a_source(rule: str, ev: Event) -> Hit | None:
    """``snprintf(label, strlen(it->title) + 8, ...)`` / ``strncpy(dst, src, strlen(src))`` into a
    fixed-size array: the size is another string's length (plus constants), not the destination's,
    and no condition on the way compares that string's length (CodeQL's ``cpp/badly-bounded-write``
    and ``cpp/bad-strncpy-size``: a bound taken from the source)."""
    pos = FORMATTED_SIZES[ev.name]
    if len(ev.args) <= pos or ev.args[0] is None or ev.args[pos] is None:
        return None
    size = ast.array_size(ev.args[0])
    dest = ast.base_var(ev.args[0])
    bound = ast.strip(ev.args[pos])
    if size is None or dest is None or bound is None or ast.is_sizeof(bound):
        return None
    if dest in ast.refs(bound) or any(ast.is_sizeof(n) and dest in ast.refs(n) for n in bound.walk_preorder()):
        return None
    measured = [n for n in bound.walk_preorder() if n.kind == K.CALL_EXPR and ast.call_name(n) in STRING_LENGTHS]
    if not measured:
        return None
    strings = set().union(*(ast.refs(n) for n in measured)) - {dest}
    if any(ev.state.strlens.get(v) is not None for v in strings):
        return None  # a string of known length: overflow-buffer compares it with the destination
    if not strings or any(
        g.tokens & RELATIONAL and g.vars & strings for g in list(ev.state.guards) + list(ev.state.checks)
    ):
        return None
    return _hit(rule, ev, ("CWE-787", "CWE-805"),
                f"{ev.name}() bounds its write into the {size}-byte '{ast.compact(ev.args[0])}' by "
                f"'{ast.compact(bound)}', another string's length, not the destination's size")  # fmt: skip


# names in a bound that are types or casts, not values: (size_t)n, static_cast<std::size_t>(k)
TYPE_WORDS = {"size_t", "ssize_t", "int", "unsigned", "long", "short", "char", "std", "static_cast",
              "uint8_t", "uint16_t", "uint32_t", "uint64_t", "int32_t", "int64_t", "const"}  # fmt: skip


def _bounded_by_variables_only(ev: Event, var: str, dest: set[str], constants: frozenset[str]) -> str | None:
    """The other side of the comparisons that bound ``var`` on the way to ``ev``, when every one
    of them compares it with variables alone (``if ((size_t)len + 2 > n) return -1;``: the
    source's length), never with a constant, a ``sizeof`` or a macro: the count fits the data
    it is read from, and nothing says it fits a fixed-size destination (CodeQL's range analysis
    finds no constant bound for it either). None when there is no such comparison or one of them
    has a constant side or reads the destination (``dest``: the names it is written with; ``n >
    key.size()``), or compares it with one variable that is itself so bounded (``bytes > len``
    after ``len > sizeof(payload) - 1``)."""
    st = ev.state
    # var, its aliases, and what is computed from it (need = len + 1; used + need >= MAX reads it)
    rel = set(st.aliases(var)) | {v for v, sources in st.derived.items() if var in sources}
    found = None
    for g in list(st.guards) + list(st.checks):
        if not g.vars & rel:
            continue
        atom: list[str] = []
        for t in [*g.text.split(), "&&"]:
            if t not in ("&&", "||"):
                atom.append(t)
                continue
            ops = [i for i, a in enumerate(atom) if a in RELATIONAL]
            if len(ops) == 1 and set(atom) & rel:
                left, right = atom[: ops[0]], atom[ops[0] + 1 :]
                other = (
                    right if set(left) & rel else left if set(right) & rel and not set(left) & rel else None
                )
                if other is not None:
                    if _constant_side(other, ev, constants) or set(other) & dest:
                        return None
                    names = _value_names(other)
                    if len(names) == 1 and names[0] != var and _bounded_above(ev, names[0], dest, constants):
                        return None
                    found = found or " ".join(other)
            atom = []
    return found


def _bounded_above(ev: Event, name: str, dest: set[str], constants: frozenset[str]) -> bool:
    """A check on the way bounds ``name`` from above by a constant or the destination's size:
    ``len < K`` or ``K > len`` held, or ``len > K``/``len >= K`` failed (``if (len > sizeof(buf)
    - 1) return false;``)."""
    for toks, held in ranges.settled_atoms(ev, name):
        ops = [i for i, t in enumerate(toks) if t in RELATIONAL]
        if len(ops) != 1:
            continue
        left, op, right = toks[: ops[0]], toks[ops[0]], toks[ops[0] + 1 :]
        if left == [name]:
            other, below = right, op in ("<", "<=")
        elif right == [name]:
            other, below = left, op in (">", ">=")
        else:
            continue
        if below == held and (_constant_side(other, ev, constants) or set(other) & dest):
            return True
    return False


def _value_names(tokens: list[str]) -> list[str]:
    """The names among ``tokens`` that are values, not types or casts (``(size_t)n``: ``n``)."""
    return [t for t in tokens if re.fullmatch(r"[A-Za-z_]\w*", t) and t not in TYPE_WORDS]


def _constant_side(tokens: list[str], ev: Event, constants: frozenset[str]) -> bool:
    """``tokens`` (one side of a comparison) reads no variable that is not a known constant: a
    macro, a local known to hold one, or a ``const``/``constexpr`` of the file (``constants``)."""
    if "sizeof" in tokens:
        return True
    return all(
        t.isupper() or t in constants or ev.state.consts.get(t) is not None for t in _value_names(tokens)
    )


def file_constants(fn: FunctionFacts) -> frozenset[str]:
    """The names of the file-scope variables of a ``const``-qualified type (``constexpr
    std::size_t kMaxPath = 64;``, ``static const int LIMIT = 10;``)."""
    tu = fn.cursor.translation_unit if fn.cursor is not None else None
    if tu is None:
        return frozenset()
    return frozenset(
        c.spelling for c in tu.cursor.get_children()
        if c.kind == K.VAR_DECL and c.location.file is not None and c.type.is_const_qualified()
    )  # fmt: skip


def _hit(rule: str, ev: Event, cwes: tuple[str, ...], message: str) -> Hit:
    return Hit(rule, cwes, ev.line, ev.column, message)
