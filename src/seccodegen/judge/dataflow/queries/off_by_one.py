"""Off-by-one bound on a write (CWE-193 with CWE-787): the index may equal the buffer's size.

A write ``buf[i] = v`` (also ``buf[i] += v``, ``buf[i]++``) into a buffer whose element count is
known, where the checks on the way bound ``i`` by that count only *non-strictly*:
``if (len > out_size) return -1; ... out[len] = '\\0';`` or ``for (i = 0; i <= size; i++)
buf[i] = ...`` lets ``i`` reach the count itself, one element past the end. Also a write at
the count itself, ``dst[size] = '\\0'`` after ``strncpy(dst, src, size)``, and a write after a
loop that assigned ``i`` and held ``i < count`` as a part of its condition, with no check of
``i`` since: the loop may have ended because that part failed (``for (i = 0; i < size &&
src[i]; i++) dst[i] = src[i]; dst[i] = '\\0';`` on a source of ``size`` bytes or more).
A copy's byte count is read the same way: ``if (n > sizeof buf) return; memcpy(buf, s, n + 1);``
lets ``n`` reach the array's size, so the copy writes one byte past it; so does ``strcpy(buf, s)``
after ``if (strlen(s) > sizeof buf) return;`` (the string and its NUL).

The buffer's count is known when it is

* a fixed-size array or a block of known size (the constant; ``sizeof buf`` for a byte array);
* a pointer parameter every call in the file fills with a fixed-size array (the smallest one's
  count: ``first_token(line, tok)`` with ``char tok[16]``);
* a pointer parameter whose size is another parameter: some call of the function in the file
  passes a fixed-size array for the pointer and its size for the other (``sizeof field``, or
  the literal), or the function itself passes the pair as a buffer and its whole size
  (``snprintf(out, out_size, ...)``, ``fgets(buf, size, f)``, ``strlcpy(out, s, out_size)``).

The weakness modelled is the direction of a bound, not a name: a check that proves ``i <
count`` (``i >= count`` that leaves, ``i + 1 > count``, ``i > count - 1``) protects the write;
so does any bound of ``i`` by a constant when the count is not a constant (it may be smaller),
or any condition on ``i`` this query cannot read (compound conditions other than a failed
``a || b`` / a held ``a && b``, whose parts it reads one by one). Bounds of ``i`` against other
quantities (the input's length ``n - pos``) neither protect nor decide.

CodeQL counterparts: ``cpp/overrun-write`` and ``cpp/off-by-one-array-access``-style range
checks (range analysis finds the index's upper bound equal to the size). Deliberate differences:
no range analysis beyond the checks themselves; reads are not reported (reading the element at a
string's length is its terminator, often legitimate); a pair of parameters counts as buffer and
size only with the evidence above, never from the parameters' names.
"""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast, values
from seccodegen.judge.dataflow.ast import array_size
from seccodegen.judge.dataflow.queries import ranges
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.buffer_pairs import caller_array_sizes, file_index, size_pairs
from seccodegen.judge.dataflow.queries.comparisons import (
    RELATIONS,
    SIGN_LIMITS,
    literal_value,
    only_subscripted,
)
from seccodegen.judge.dataflow.queries.index_values import token_value, written_offsets
from seccodegen.judge.dataflow.queries.origins import Origins, is_integer, uncontrolled_var

K = ci.CursorKind
OFF_BY_ONE = ("CWE-193", "CWE-787")


def _split(toks: list[str], truth: bool) -> list[list[str]] | None:
    """The comparisons a condition proves one by one: a held ``a && b`` or a failed ``a || b``
    (at the top level, outer parentheses dropped); None where it is not such a conjunction."""
    while toks[:1] == ["("] and toks[-1:] == [")"] and _closes_at_end(toks):
        toks = toks[1:-1]
    joiner = "&&" if truth else "||"
    parts, depth, cur = [], 0, []
    for i, t in enumerate(toks):
        depth += t == "("
        depth -= t == ")"
        if depth == 0 and t == joiner:
            parts.append(cur)
            cur = []
        elif depth == 0 and (t in ("&&", "||", "?", ",") or t == "!" and toks[i + 1 : i + 2] == ["("]):
            return None  # (a `!name` / `!call(...)` part is one test; `!(a && b)` is not read)
        else:
            cur.append(t)
    parts.append(cur)
    return [p for p in parts if p]


def _closes_at_end(toks: list[str]) -> bool:
    depth = 0
    for i, t in enumerate(toks):
        depth += t == "("
        depth -= t == ")"
        if depth == 0 and i < len(toks) - 1:
            return False
    return True


def upper_bounds(ev: Event, var: str) -> list[tuple[list[str], bool]] | None:
    """(other side's tokens, strict) of every comparison on the way that bounds ``var`` above:
    ``var < X`` proven gives (X, True), ``var <= X`` (X, False); ``var + 1 > X`` failing gives
    (X, True) and ``var > X - 1`` failing ``(X - 1, False)``. None when a condition reads
    ``var`` in a way not read here (it may bound it)."""
    out = []
    for g in list(ev.state.guards) + list(ev.state.checks):
        if var not in g.text.split():
            continue
        parts = _split(g.text.split(), g.truth)
        if parts is None:
            return None
        for toks in parts:
            if var not in toks:
                continue
            at = [i for i, t in enumerate(toks) if t in RELATIONS]
            if not at and (only_subscripted(toks, var) or not {"==", "!="} & set(toks)):
                continue  # buf[pos + len] != ',', `in >> len`, `if (len)`: no upper bound of var
            if len(at) != 1 or {"==", "!=", "=", "?"} & set(toks):
                return None
            i = at[0]
            left, right = toks[:i], toks[i + 1 :]
            less = toks[i] in ("<", "<=")
            strict = toks[i] in ("<", ">")
            if not g.truth:  # a failed `a > b` is `a <= b`
                less, strict = not less, not strict
            mine, other = (left, right) if var in left else (right, left)
            if var in other:
                return None
            above = less if mine is left else not less
            if not above:
                if other in SIGN_LIMITS:
                    continue  # the lower check
                return None  # var > X proven: a lower bound by something else; read as unknown
            if mine == [var]:
                out.append((other, strict))
            elif set(mine[1::2]) == {"+"}:  # var + 1 <= X: var < X; pos + var <= X: var <= X
                # (start + w <= X with a variable w: as strict, w is a count that is usually
                # at least 1, and nothing here tells)
                addends = [t for t in mine[::2] if t != var]
                out.append((other, strict or "1" in addends or any(t.isidentifier() for t in addends)))
            else:
                return None
    return out


def _names_count(
    other: list[str], count: int | None, base: str | None, ev: Event, macros: dict[str, int] | None = None
) -> bool:
    """``other`` (a comparison's side) is exactly the constant element count ``count``: the
    number, a variable holding it, a ``#define`` of the file (``macros``), or ``sizeof base``."""
    if count is None:
        return False
    if len(other) == 1:
        value = token_value(other[0], ev)
        return (value if value is not None else (macros or {}).get(other[0])) == count
    return bool(base) and other[:1] == ["sizeof"] and base in other and "-" not in other and "+" not in other


def _constant(other: list[str], ev: Event, fn: FunctionFacts) -> bool:
    """``other`` is one token naming a constant: a literal, a variable known to hold one there, a
    ``const``/``constexpr`` variable or enumerator of the file, or an upper-case macro name."""
    if len(other) != 1:
        return False
    if other[0] in ev.state.consts or other[0].isupper():
        return True
    if fn.cursor is not None and other[0] in file_index(fn.cursor.translation_unit)[1]:
        return True
    return token_value(other[0], ev) is not None


def _constant_expression(other: list[str], ev: Event, fn: FunctionFacts) -> bool:
    """``other`` is arithmetic on constants only (``kRows - 1``, ``MAX * 2``): a bound of unknown
    value, which may keep the index below the count."""
    ops = {"+", "-", "*", "/", "(", ")"}
    terms = [t for t in other if t not in ops]
    return len(terms) > 1 and all(_constant([t], ev, fn) for t in terms)


@QUERIES.register("off-by-one-bound")
class OffByOneBound:
    rule = "off-by-one-bound"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        if not fn.events:
            return []
        writes = written_offsets(fn)
        callers: dict[str, int] | None = None  # caller_array_sizes(fn), computed when needed
        macros: dict[str, int] | None = None  # the file's #defines (`if (b > NBINS)`), read when needed
        pairs = size_pairs(fn)
        hits: list[Hit] = []
        origins = Origins.of(fn) if fn.calls(*STRING_COPIES) else None  # reads the file: once, where needed
        for ev in fn.events:
            if ev.kind == "call" and ev.obj is None and (ev.name in COPY_SIZES or ev.name in STRING_COPIES):
                hit = _copy_past_loose_check(ev) if ev.name in COPY_SIZES else _string_past_loose_check(ev, origins)
                if hit:
                    hits.append(Hit(self.rule, OFF_BY_ONE, ev.line, ev.column, hit))
                continue
            if not (ev.kind == "deref" and ev.cursor.kind == K.ARRAY_SUBSCRIPT_EXPR and ev.args):
                continue
            if ev.cursor.extent.start.offset not in writes:
                continue
            base_expr = ast.children(ev.cursor)[0]
            index = ast.strip(ev.args[0])
            var, base = ast.var_name(index), ast.var_name(base_expr)
            if var is None or not is_integer(index):
                continue
            count = array_size(base_expr) or values.element_count(base_expr, ev.state)
            if count is None and base in fn.params:  # first_token(line, tok) with char tok[16]
                callers = callers if callers is not None else caller_array_sizes(fn)
                count = callers.get(base)
            count_vars = sorted(s for b, s in pairs if b == base and s != var)
            shown = ast.compact(base_expr)
            if macros is None and (count is not None or count_vars):
                macros = ranges.macro_values(fn.file)
            hit = self._check(fn, ev, var, base, count, count_vars, shown, macros or {})
            if hit is None and any(b == base and s == var for b, s in pairs):
                hit = OFF_BY_ONE, f"'{shown}[{var}]' writes at the buffer's size, one past its last element"
            if hit:
                hits.append(Hit(self.rule, hit[0], ev.line, ev.column, hit[1]))
        return hits

    def _check(
        self,
        fn: FunctionFacts,
        ev: Event,
        var: str,
        base: str | None,
        count: int | None,
        count_vars: list[str],
        shown: str,
        macros: dict[str, int],
    ) -> tuple[tuple[str, ...], str] | None:
        """(CWEs, message) of a write the checks on the way do not keep inside the buffer."""
        if count is None and not count_vars:
            return None
        bounds = upper_bounds(ev, var)
        if bounds is None:
            return None
        if not bounds and (cond := _left_at_count(ev, var, base, count, count_vars, macros)):
            return OFF_BY_ONE, (f"'{var}' may leave the loop on '{cond}' equal to the buffer's size: "
                                f"'{shown}[{var}]' then writes one past the end")  # fmt: skip
        loose, unrelated = None, []
        for other, strict in bounds:
            if (len(other) == 1 and other[0] in count_vars) or _names_count(other, count, base, ev, macros):
                if strict:
                    return None  # var < count: the write fits
                loose = " ".join(other)
            elif _constant(other, ev, fn) or _constant_expression(other, ev, fn):
                if count is None or len(other) > 1 or _bounded_below(other, strict, count, ev, macros):
                    return None  # a constant bound that may keep var below the count
            elif (
                "sizeof" in other
                or (base and base in other)
                or any(cv in ev.state.related(t) for t in other for cv in count_vars)
            ):
                return None  # against a value computed from the size (sizeof buf - 1, out_size - 1, room)
            else:
                unrelated.append(" ".join(other))
        if loose is not None:
            return (
                OFF_BY_ONE,
                f"'{var}' is bounded by '{var} <= {loose}': '{shown}[{var}]' may write one past the end",
            )
        if unrelated:
            why = uncontrolled_var(var, ev, Origins.of(fn), params=True)
            if why:
                size = str(count) if count is not None else count_vars[0]
                return ("CWE-787", "CWE-129"), (f"'{var}' ({why}) is bounded only by {', '.join(sorted(set(unrelated)))}, "
                        f"not by the size of '{shown}' ({size})")  # fmt: skip
        return None


COPY_SIZES = {"memcpy": 2, "memmove": 2, "memset": 2, "strncpy": 2}  # call -> its byte count's position


def _byte_array(arg) -> tuple[int, str | None] | None:
    """(element count, name) of the fixed-size byte array ``arg`` names, else None."""
    dest = ast.strip(arg) if arg is not None else None
    t = ast.array_type(dest) if dest is not None else None
    count = t.get_array_size() if t is not None else None
    if count is None or t.element_type.get_canonical().get_size() != 1:
        return None
    return count, ast.var_name(dest)


def _copy_past_loose_check(ev: Event) -> str | None:
    """``memcpy(buf, s, n + 1)`` into a byte array of N where the checks on the way bound ``n``
    only by ``n <= N`` (``if (n > sizeof buf) return``): the copy may write N + 1 bytes."""
    args = ev.args
    pos = COPY_SIZES[ev.name]
    array = _byte_array(args[0]) if pos < len(args) and args[pos] is not None else None
    if array is None:
        return None
    count, base = array
    toks = ast.tokens(ast.strip(args[pos]))
    if not toks or not (len(toks) == 1 or (len(toks) == 3 and toks[1] == "+")):
        return None
    var, extra = toks[0], (literal_value(toks[2]) if len(toks) == 3 else 0)
    if extra is None:
        return None
    bounds = upper_bounds(ev, var)
    if not bounds or any(not _names_count(other, count, base, ev) for other, _ in bounds):
        return None  # unbounded (other queries), or bounded by anything but the array's size
    slack = 0 if all(strict for _, strict in bounds) else 1  # var < N: N - 1 at most; var <= N: N
    if count - 1 + slack + extra <= count:
        return None
    return (f"{ev.name}() of '{' '.join(toks)}' bytes after a check that lets '{var}' reach "
            f"{count - 1 + slack}: up to {count - 1 + slack + extra} bytes into the {count}-byte '{base}'")


STRING_COPIES = {"strcpy", "stpcpy"}  # copies of a whole string with its NUL


def _string_past_loose_check(ev: Event, origins: Origins) -> str | None:
    """``strcpy(buf, s)`` into a byte array of N where the checks on the way bound the length of
    ``s`` only by ``<= N`` (``if (strlen(s) > sizeof buf) return;``, also through ``n =
    strlen(s)``): a string of N characters and its NUL need N + 1 bytes."""
    src = ast.var_name(ev.args[1]) if len(ev.args) == 2 and ev.args[1] is not None else None
    array = _byte_array(ev.args[0]) if src else None
    if array is None:
        return None
    count, base = array
    lengths = {f"strlen ( {src} )"} | {
        name for name, texts in origins.texts.items() if texts and all(t.replace(" ", "") == f"strlen({src})" for t in texts)
    }  # strlen(s) itself, or a variable only ever assigned it
    for g in list(ev.state.guards) + list(ev.state.checks):
        text = g.text
        for length in lengths:
            for op in (">", "<="):
                prefix = f"{length} {op} "
                if not text.startswith(prefix) or "&&" in text or "||" in text:
                    continue
                other = text[len(prefix) :].split()
                loose = (op == ">" and not g.truth) or (op == "<=" and g.truth)
                if loose and _names_count(other, count, base, ev):
                    return (f"{ev.name}() of '{src}' after a check that lets its length reach {count}: "
                            f"with the NUL, {count + 1} bytes into the {count}-byte '{base}'")  # fmt: skip
    return None


def _left_at_count(
    ev: Event, var: str, base: str | None, count: int | None, count_vars: list[str], macros: dict[str, int]
) -> str | None:
    """The condition of a loop this path left, which held ``var < count`` as one of its ``&&``
    parts while the loop assigned ``var``: on leaving it ``var`` may equal the count (the loop
    ``for (i = 0; i < size && src[i]; i++)`` ends with ``i == size`` on a long input)."""
    for guard, assigned in sorted(ev.state.left, key=lambda x: x[0].line):
        if var not in assigned:
            continue
        for toks in _split(guard.text.split(), True) or []:
            at = [i for i, t in enumerate(toks) if t in RELATIONS]
            if len(at) != 1:
                continue
            left, op, right = toks[: at[0]], toks[at[0]], toks[at[0] + 1 :]
            other = right if (op, left) == ("<", [var]) else left if (op, right) == (">", [var]) else None
            if other and ((len(other) == 1 and other[0] in count_vars) or _names_count(other, count, base, ev, macros)):
                return guard.text
    return None


def _bounded_below(other: list[str], strict: bool, count: int, ev: Event, macros: dict[str, int]) -> bool:
    """A constant bound ``var < K`` / ``var <= K`` keeps ``var`` below ``count`` (or is unknown)."""
    k = token_value(other[0], ev)
    k = k if k is not None else macros.get(other[0])
    if k is None:
        return True  # a named limit of unknown value
    return k < count if not strict else k <= count
