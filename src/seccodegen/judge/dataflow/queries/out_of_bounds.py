"""Out-of-bounds read/write (CWE-125, CWE-787, CWE-129; CWE-119/121/122 by family).

Four patterns (five with std::copy), each on a buffer access the core saw (``a[i]``, ``operator[]``, a copy call):

* ``index-unchecked``: an index computed from input, a random value or a parameter is used
  without *both* a lower bound (``i >= 0``; not needed for an unsigned index) and an upper bound
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

import re

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast, values
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.buffer_pairs import caller_array_sizes
from seccodegen.judge.dataflow.queries.index_values import (
    clamped_in_place,
    decl_ref,
    element_read,
    field_given_no_input,
    token_value,
    written_offsets,
)
from seccodegen.judge.dataflow.queries.origins import (
    RELATIONS,
    Origins,
    bound_sides,
    clamped,
    is_integer,
    is_unsigned,
    read_count_bound,
    remainder_bound,
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
# calls that write through a destination argument: name -> its position (strcpy(p + k, s))
COPY_DEST = {"strcpy": 0, "strncpy": 0, "strcat": 0, "strncat": 0, "memcpy": 0, "memmove": 0, "memset": 0,
             "sprintf": 0, "snprintf": 0, "stpcpy": 0}  # fmt: skip
# calls that read a counted block from an argument: the argument's positions
COPY_SOURCE = {"memcpy": (1,), "memmove": (1,), "memcmp": (0, 1), "strncpy": (1,), "fwrite": (0,), "write": (1,),
               "send": (1,)}  # fmt: skip
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


def _member_sizes(ev: Event) -> dict[str, int]:
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
            elif ev.kind == "call" and ev.name == "operator[]" and ev.args and ev.obj is None:
                write = ev.cursor.extent.start.offset in writes
                hit = self._index(fn, ev, None, ev.args[-1], write, origins)
            elif ev.kind == "call" and (ev.obj is None or _member_sizes(ev)):
                hit = self._copy(fn, ev, origins)
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
            if why:
                upper = upper or count is not None  # a count of at most size - 1 bytes read
                rem = remainder_bound(fn, var) if direct else None  # r = rand() % N: 0..N-1
                if rem is not None:
                    lower, upper = lower or rem[1], upper or rem[0] <= size
                if is_unsigned(ref):
                    lower = True
                upper = upper or clamped(fn, ev, var) or clamped_in_place(index, var)
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
                    if reason and not (bound_sides(ev, other, ignore=var)[1] or clamped(fn, ev, other)):
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

    def _copy(self, fn: FunctionFacts, ev: Event, origins: Origins) -> Hit | None:
        if ev.name in ("gets", "_getws"):
            return self._hit(ev, ("CWE-787", "CWE-242"), "gets() cannot bound its write")
        if ev.name == "operator>>" and len(ev.args) == 2 and _unbounded_extraction(fn, ev.args[1]):
            return self._hit(ev, ("CWE-787", "CWE-120", "CWE-242"),
                             f"'>>' into the {ast.array_size(ev.args[1])}-byte array '{ast.compact(ev.args[1])}' "
                             "reads a whole word, however long, with no std::setw")  # fmt: skip
        member = ev.obj is not None  # a stream's read(buf, n), a string's copy(buf, n) (see _member_sizes)
        dest_pos = 0 if member else DEST.get(ev.name, 0)
        sized = _member_sizes(ev) if member else SIZED_COPIES
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
                    if why and not any(bound_sides(ev, v)[1] for v in ev.state.related(var)):
                        return self._hit(ev, ("CWE-787", "CWE-120"),
                                         f"{ev.name}() of '{var}' ({why}) into a {size}-element array, length unchecked")  # fmt: skip
            return None
        positions = [p for p in (sized[ev.name], ELEMENT_SIZES.get(ev.name)) if p is not None and p < len(ev.args)]
        if not positions:
            return None
        dest = ast.base_var(ev.args[dest_pos])
        for var in sorted(set().union(*(ast.refs(ev.args[p]) for p in positions))):
            why = uncontrolled_var(var, ev, origins, params=True) or string_length_of(var, ev, origins, fn, dest, size)
            if why and not (bound_sides(ev, var, selectors=origins.selectors(ev, var))[1] or clamped(fn, ev, var)):
                return self._hit(ev, ("CWE-787", "CWE-805"),
                                 f"{ev.name}() size '{var}' ({why}) not checked against the {size}-element destination")  # fmt: skip
        return None

    def _hit(self, ev: Event, cwes: tuple[str, ...], message: str) -> Hit:
        return Hit(self.rule, cwes, ev.line, ev.column, message)
