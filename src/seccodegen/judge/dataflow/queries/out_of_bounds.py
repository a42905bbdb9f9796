"""Out-of-bounds read/write (CWE-125, CWE-787, CWE-129; CWE-119/121/122 by family).

Four patterns (five with std::copy), each on a buffer access the core saw (``a[i]``, ``operator[]``, a copy call):

* ``index-unchecked``: an index computed from input, a random value or a parameter is used
  without *both* a lower bound (``i >= 0``; not needed for an unsigned index, nor after an upper
  check made in an unsigned type, ``i < v.size()``, where a negative ``i`` fails) and an upper bound
  check dominating the access (or an earlier check that left the function); or a loop index
  into a fixed-size array is bounded only by such a value (``for (i = 0; i < len; i++)
  buf[i] = ...`` with ``len`` from the input and never compared with anything itself).
* ``unbounded-write``: ``gets``, or a C++ stream's ``in >> buf`` into a fixed-size ``char``
  array with no field width (``std::setw``) before C++20; or ``strcpy``/``strcat``/``sprintf``/``vsprintf``/``wcscpy``/
  ``wcscat`` of a string from input or a parameter into a fixed-size array, with no length check
  of that string; or a ``memcpy``/``memmove``/``strncpy``/``strncat``/``memset``/``fgets``/
  ``read``/``fread`` (either count)/a stream's ``read``/a string's ``s.copy(buf, n)`` into a
  fixed-size array whose size argument comes from input or a parameter and is
  not compared with anything. A length of a parameter's or the input's string counts as such a
  size (``n = strlen(s)``, ``s.size()``; a test of it against zero is no bound), and so as an
  index into, or the bound of a loop over, a fixed-size array; not the length of that array's
  own contents, nor of an array no larger than it, nor a length clamped where it is computed
  (``?:``, ``min``, ``%``).
* ``off-by-one``: a fixed-size array of N elements indexed by the literal N, or by a loop index
  bounded by ``i <= N`` (the terminating NUL written one past the end).
* ``pointer-offset``: ``p + k`` / ``p - k`` with ``k`` from input or a parameter, checked as an
  index is (both bounds; for an unsigned ``k`` the upper one), where the pointer is dereferenced,
  returned, or the source of a counted read out of a fixed-size array (``memcpy(out, in + off,
  16)``, ``fwrite``, ``write``): ``return s + strlen(s) - n;`` with ``n`` never compared with the length; also
  when it is stored in a variable first and that variable is returned or dereferenced (with
  the checks on the way to that use); and ``strncpy(r + i * K, s, K)`` in a loop ``i < times``
  with ``times`` unchecked, where ``r`` is a block of known size (a parameter offset into a
  destination of unknown size is left to the caller).
* ``std::copy(s.begin(), s.end(), buf)`` of a whole input or parameter string into a fixed-size
  array with no length check is an ``unbounded-write`` too.

CodeQL counterparts: ``cpp/unbounded-write`` (tainted string into a buffer), ``cpp/overflow-
buffer`` / ``cpp/overflow-destination`` (copy size not bounded by the destination),
``cpp/unclear-array-index-validation`` (CWE-129: user input as index without a lower and upper
check) and ``cpp/off-by-one-array-access``-style checks. Deliberate differences: parameters
count as input (the scenarios' functions receive their input that way); a destination that is a
pointer (not an array of known size) is left alone for copies, since its size is unknown here;
any relational check counts as a bound without proving it tight; pointer offsets count only where
the pointer is dereferenced, returned or a copy's destination (an offset passed on to other calls is the callee's to check);
sizes that are compile-time constants (``memcpy(buf, src, 100)`` into ``char buf[50]``) are left
to gcc's ``-Wstringop-overflow`` and the ``overflow-buffer`` query, which evaluate them.
"""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast, values
from seccodegen.judge.dataflow.containers import is_keyed
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.buffer_pairs import allocated_past, size_pairs
from seccodegen.judge.dataflow.queries.comparisons import RELATIONS
from seccodegen.judge.dataflow.queries.copy_bounds import copy_hit, member_sizes, string_length_of
from seccodegen.judge.dataflow.queries.index_values import (
    clamped_in_place,
    decl_ref,
    element_read,
    field_given_no_input,
    token_value,
    written_offsets,
)
from seccodegen.judge.dataflow.queries.origins import (
    Origins,
    bound_sides,
    clamped,
    is_integer,
    is_unsigned,
    read_count_bound,
    read_leaves_room,
    remainder_bound,
    uncontrolled_var,
)

K = ci.CursorKind
# calls that write through a destination argument: name -> its position (strcpy(p + k, s))
COPY_DEST = {"strcpy": 0, "strncpy": 0, "strcat": 0, "strncat": 0, "memcpy": 0, "memmove": 0, "memset": 0,
             "sprintf": 0, "snprintf": 0, "stpcpy": 0}  # fmt: skip
# calls that read a counted block from an argument: the argument's positions
COPY_SOURCE = {"memcpy": (1,), "memmove": (1,), "memcmp": (0, 1), "strncpy": (1,), "fwrite": (0,), "write": (1,),
               "send": (1,)}  # fmt: skip



def _same(a, b) -> bool:
    """``a`` (a call argument, maybe wrapped in an implicit conversion) is the expression ``b``."""
    a = ast.strip(a)
    return a is not None and a.extent.start.offset == b.extent.start.offset and a.extent.end.offset == b.extent.end.offset


def _stored_in(up) -> str | None:
    """The variable a pointer value is stored in: ``T *q = <value>`` or ``q = <value>``."""
    if up is None:
        return None
    if up.kind == K.VAR_DECL:
        return up.spelling
    if up.kind == K.BINARY_OPERATOR and ast.binary_op(up) == "=":
        return ast.base_var(ast.children(up)[0])
    return None


def _later_use(fn: FunctionFacts, ev: Event, var: str | None) -> Event | None:
    """The first later event that returns or dereferences ``var``, before it is assigned again."""
    if not var:
        return None
    after = False
    for later in fn.events:
        if later is ev:
            after = True
            continue
        if not after:
            continue
        if later.kind == "assign" and later.name == var and later.line > ev.line:
            return None
        if later.kind == "deref" and later.name == var:
            return later
        if later.kind == "return" and later.args and later.args[0] is not None:
            if ast.base_var(later.args[0]) == var and ast.strip(later.args[0]).kind == K.DECL_REF_EXPR:
                return later
    return None


def _bounds_a_counter(ev: Event, var: str, index) -> bool:
    """``var`` is the upper bound of a loop (``x < w``) whose counter the index also reads: a row
    length in ``y * w + x``, which the loop keeps the position inside of."""
    counters = ast.refs(index) - {var}
    for g in ev.state.guards:
        if not g.loop or var not in g.vars:
            continue
        toks = g.text.split()
        if any(a in counters and op in ("<", "<=") and b == var for a, op, b in zip(toks, toks[1:], toks[2:])):
            return True
    return False


@QUERIES.register("out-of-bounds")
class OutOfBounds:
    rule = "out-of-bounds"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        if not fn.events:
            return []
        origins = Origins.of(fn)
        writes = written_offsets(fn)
        hits: list[Hit] = []
        seen: set[tuple[int, int]] = set()
        parents = ast.parents(fn.cursor) if fn.cursor is not None else {}
        for ev in fn.events:
            hit = None
            if ev.kind == "deref" and ev.cursor.kind == K.ARRAY_SUBSCRIPT_EXPR and ev.args:
                base = ast.children(ev.cursor)[0]
                write = ev.cursor.extent.start.offset in writes
                hit = self._index(fn, ev, base, ev.args[0], write, origins)
            elif ev.kind == "call" and ev.name == "operator[]" and ev.args and ev.obj is None and not is_keyed(ev.args[0]):
                write = ev.cursor.extent.start.offset in writes
                hit = self._index(fn, ev, None, ev.args[-1], write, origins)
            elif ev.kind == "call" and (ev.obj is None or member_sizes(ev)):
                hit = copy_hit(self.rule, fn, ev, origins)
            elif ev.kind == "arith" and ev.name in ("+", "-") and len(ev.args) == 2:
                hit = self._offset(fn, ev, origins, parents, writes)
            if hit and (hit.line, hit.column) not in seen:
                seen.add((hit.line, hit.column))
                hits.append(hit)
        return hits

    def _index(
        self, fn: FunctionFacts, ev: Event, base, index, write: bool, origins: Origins, params: bool = True
    ) -> Hit | None:
        """``params=False``: a parameter's value as the index itself is not reported (it still
        counts as the unchecked bound of a loop over a buffer of known size)."""
        cwes = ("CWE-129", "CWE-787") if write else ("CWE-129", "CWE-125")
        size = (ast.array_size(base) or values.element_count(base, ev.state)) if base is not None else None
        lit = values.const_value(index, ev.state)  # 50 - 1, or a variable known to hold a constant
        if size is not None and lit is not None and lit >= size:
            return self._hit(
                ev, ("CWE-193", cwes[1]), f"index {lit} is past the end of a {size}-element array"
            )
        if size is not None and (hit := self._element_index(ev, index, size, write, origins)):
            return hit
        for var in sorted(ast.refs(index)):
            ref = decl_ref(index, var)  # the field read through var where there is one (r.slot)
            if not is_integer(ref):
                continue  # a pointer read through (*p as an index): its value is not what is checked
            if field_given_no_input(fn, ref):
                continue  # r.id = 2 while input went into r.name: the struct's taint is not the field's
            # a subscript that only chose which input was read (i in atoi(argv[i])) is no check of it
            lower, upper = bound_sides(ev, var, directional=True, selectors=origins.selectors(ev, var))
            why = uncontrolled_var(var, ev, origins, params=params)
            direct = why and size is not None and ast.var_name(index) == var
            count = read_count_bound(fn, var) if direct else None
            if count is not None and count >= size:  # read(fd, buf, sizeof buf); buf[n] = '\0'
                cwe = ("CWE-193",) if count == size else ()
                msg = f"'{var}' counts up to {count} bytes read, past a {size}-element array"
                return self._hit(ev, cwe + cwes[1:], msg)
            if why and why.startswith("parameter") and _bounds_a_counter(ev, var, index):
                continue  # rgb[(y * w + x) * 3] in for (x = 0; x < w; x++): w is a dimension, not a position
            if why:
                upper = upper or count is not None  # a count of at most size - 1 bytes read
                if not upper and base is not None and (name := ast.var_name(base)):
                    sizes = {s for b, s in size_pairs(fn) if b == name}  # read(fd, buf, size - 1) of a pair
                    upper = read_leaves_room(fn, var, name, sizes)
                rem = remainder_bound(fn, var) if direct else None  # r = rand() % N: 0..N-1
                if rem is not None:
                    lower, upper = lower or rem[1], upper or rem[0] <= size
                if is_unsigned(ref):
                    lower = True
                upper = upper or clamped(fn, ev, var) or clamped_in_place(index, var)
                # p = malloc(len + 1); p[len] = '\0': the block was sized past the index
                upper = upper or (base is not None and ast.var_name(index) == var and allocated_past(fn, ast.base_var(base), var))
                if not (lower and upper):
                    missing = "lower and upper" if not (lower or upper) else "lower" if not lower else "upper"
                    return self._hit(ev, cwes, f"index '{var}' is {why}, with no {missing} bound check")
                continue
            if size is None:
                continue
            dest = ast.base_var(base) if base is not None else None
            length = string_length_of(var, ev, origins, fn, dest, size) if base is not None else None
            if length and not (bound_sides(ev, var)[1] or clamped(fn, ev, var)):
                return self._hit(ev, cwes[1:], f"index '{var}' is {length}, not checked against the {size}-element array")
            for g in list(ev.state.guards):  # loop index bounded by an unchecked input or off by one
                if var not in g.vars:
                    continue
                toks = g.text.split()
                if "<=" in toks and toks.index("<=") + 1 < len(toks):
                    limit = token_value(toks[toks.index("<=") + 1], ev)
                    if limit is not None and limit >= size:
                        cwe = ("CWE-193",) if limit == size else ()
                        return self._hit(ev, cwe + cwes[1:], f"'{var} <= {limit}' runs past a {size}-element array")
                if g.loop and ast.var_name(index) == var and toks[-2:-1] == ["<"] and toks[-3:-2] == [var]:
                    limit = token_value(toks[-1], ev)  # for (i = 0; i < n; i++) a[i] with n known
                    if limit is not None and limit > size:
                        return self._hit(ev, cwes[1:], f"'{var} < {limit}' runs past a {size}-element array")
                # a loop-style bound "var < other" / "var <= other" with an integer variable, where it
                # held (on the else side of `if (len < n)`, len >= n: no bound by n)
                pairs = [(op, c) for a, op, c in zip(toks, toks[1:], toks[2:]) if a == var and op in ("<", "<=") and g.truth]
                limits = [c for _, c in pairs]
                if "||" not in toks and any(
                    (v := token_value(c, ev)) is not None and (v <= size if op == "<" else v < size) for op, c in pairs
                ):
                    continue  # i < n && i < 10: the constant bounds the index whatever n is
                bounds = {c for c in limits if c in g.vars}
                for other in sorted(bounds - {var}):
                    if fn.cursor is None or not is_integer(decl_ref(fn.cursor, other)):
                        continue
                    reason = uncontrolled_var(other, ev, origins, params=True)
                    if reason is None and len(limits) == 1:  # i < len alone, len = strlen(s)
                        reason = string_length_of(other, ev, origins, fn, dest, size)
                    read = read_count_bound(fn, other)  # n = fread(buf, 1, sizeof buf, f): i < n fits
                    if reason and not (
                        bound_sides(ev, other, ignore=var)[1] or clamped(fn, ev, other) or read is not None and read <= size
                    ):
                        return self._hit(
                            ev, cwes[1:], f"loop over a {size}-element array bounded by '{other}', {reason}"
                        )
        return None

    def _element_index(self, ev: Event, index, size: int, write: bool, origins: Origins) -> Hit | None:
        """An index that is one character of the input (``counts[line[i]]``): a plain ``char`` may
        be negative, and a wider element may pass the array's end; a cast to ``unsigned char``
        (or a check that reads the element) bounds it."""
        found = element_read(index)
        if found is None:
            return None
        element, low, high = found
        base = ast.base_var(element)
        why = uncontrolled_var(base, ev, origins, params=True) if base else None
        if not why or (low >= 0 and high < size):
            return None
        text = ast.text(element)
        if any(text in g.text and any(t in RELATIONS for t in g.text.split()) for g in list(ev.state.guards) + list(ev.state.checks)):
            return None
        problem = "may be negative" if low < 0 else f"may reach {high}, past the {size}-element array"
        cwes = ("CWE-129", "CWE-787") if write else ("CWE-129", "CWE-125")
        return self._hit(ev, cwes, f"index '{ast.compact(element)}' is an element of {why} read as "
                                   f"{element.type.spelling if low < 0 else 'a wide value'}: it {problem}")  # fmt: skip

    def _offset(self, fn: FunctionFacts, ev: Event, origins: Origins, parents: dict, writes: set) -> Hit | None:
        """``p + k`` / ``p - k`` (pointer ``p``, integer ``k``) whose result is dereferenced or returned."""
        ptr, off = ev.args
        if ptr is None or off is None or not ast.is_pointer(ev.cursor):
            return None
        if not ast.is_pointer(ptr):
            ptr, off = off, ptr  # k + p
        if not ast.is_pointer(ptr) or ast.is_pointer(off) or not is_integer(ast.strip(off)):
            return None
        node, up = ev.cursor, parents.get(ev.cursor)
        while up is not None and (up.kind in (K.PAREN_EXPR, K.UNEXPOSED_EXPR, K.CSTYLE_CAST_EXPR)
                                  or up.kind == K.BINARY_OPERATOR and ast.is_pointer(up)
                                  or up.kind == K.CONDITIONAL_OPERATOR and ast.children(up)[:1] != [node]):  # fmt: skip
            # a branch of ``n > 0 ? s + n - 1 : ""`` is the conditional's value; its condition is not
            node, up = up, parents.get(up)
        used = up is not None and (
            up.kind == K.RETURN_STMT
            or up.kind == K.UNARY_OPERATOR and ast.unary_op(up) == "*"
            or up.kind == K.ARRAY_SUBSCRIPT_EXPR and ast.children(up)[:1] == [node]
        )
        at, write = ev, up is not None and up.extent.start.offset in writes
        into_copy = False  # the destination of a copy: strncpy(r + i * K, s, K) in a loop over i < times
        if up is not None and up.kind == K.CALL_EXPR and up.spelling in COPY_DEST:
            args = ast.call_args(up)
            if COPY_DEST[up.spelling] < len(args) and _same(args[COPY_DEST[up.spelling]], node):
                used = write = into_copy = True
        from_array = False  # the source of a counted read: memcpy(out, in + off, 16) with in[64]
        if not used and up is not None and up.kind == K.CALL_EXPR and up.spelling in COPY_SOURCE:
            args = ast.call_args(up)
            if ast.array_size(ptr) and any(p < len(args) and _same(args[p], node) for p in COPY_SOURCE[up.spelling]):
                used = from_array = True
        if not used:  # stored first: const char *last = s + n - 1; ... return last;
            at = _later_use(fn, ev, _stored_in(up))
            if at is None:
                return None
            write = at.kind == "deref" and at.cursor.extent.start.offset in writes
        base = ptr if into_copy or from_array else None
        hit = self._index(fn, at, base, off, write, origins, params=not (into_copy or from_array))
        if hit is None:
            return None
        return Hit(self.rule, hit.cwe_ids, hit.line, hit.column, "pointer offset: " + hit.message)

    def _hit(self, ev: Event, cwes: tuple[str, ...], message: str) -> Hit:
        return Hit(self.rule, cwes, ev.line, ev.column, message)
