"""A length read from the data itself used to read that many bytes of the same data, with no
check against how much data there is (CWE-125/126, CWE-130).

Length-prefixed formats (netstrings ``"5:hello,"``, a length byte before each field, a 16-bit
size in a header) carry their own lengths. The weakness is to trust them: a length ``len`` taken
from the buffer ``buf`` (an element ``buf[pos]``/``msg[pos]``, or a number parsed from it with
``strtoul(buf + pos, ...)``/``atoi``/``std::stoul``) and then used as the extent of a read from
``buf`` (``memcpy(out, buf + pos, len)``, ``std::string(msg.begin() + pos, msg.begin() + pos +
len)``, ``msg[pos + i]`` for ``i < len`` or ``msg[pos++]`` in such a loop, ``std::string(&msg[pos],
len)``; also from a pointer into ``buf``: the end pointer of ``strtoul(buf + pos, &end, 10)`` or
an alias ``p = buf + pos``), where no check on the way compares ``len`` with the data's size (``len > n - pos``,
``pos + len > msg.size()``). A message that claims more bytes than it has makes the program read
past the end of its buffer. A check of ``len`` against the *destination* (``len >= out_size``)
is not a check against the data and does not count.

The data's size is ``buf.size()``/``length()`` for a container and, for a pointer, the integer
variables a condition compares with the read position (``pos < n``), ``strlen(buf)``, the
integer parameter passed right after the pointer (``payload(const unsigned char *pkt, size_t
n)``) or the size a call in the file pairs with it (buffer_pairs.py); a pointer whose size the
function neither tests nor receives is not reported.

CodeQL counterpart: none exactly (its taint sources are the program's inputs, not a buffer
parameter's contents); the effect is what ``cpp/overflow-buffer`` and ``cpp/overrun-write``
report for reads when range analysis bounds the buffer. CWE-130 (improper handling of a length
parameter inconsistency) names the weakness.
"""

from __future__ import annotations

import re

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.buffer_pairs import size_pairs

K = ci.CursorKind
PARSERS = {"strtoul", "strtol", "strtoull", "strtoll", "atoi", "atol", "atoll", "stoi", "stoul", "stol", "stoull"}
# (source position, count position); not strncpy/strncat: they stop at the source's NUL
SIZED_READS = {"memcpy": (1, 2), "memmove": (1, 2), "memcmp": (1, 2), "fwrite": (0, 1)}
# C++ (pointer, count) reads: std::string(p, n), s.append(p, n), s.assign(p, n), out.write(p, n)
POINTER_COUNT_READS = {"basic_string", "append", "assign", "write"}
STEPS = {"++", "--", "+=", "-="}


def _element_of(expr) -> str | None:
    """The buffer ``expr`` reads an element of or parses a number from: ``buf[pos]``,
    ``msg.at(pos)``, ``strtoul(buf + pos, ...)``, ``(b[0] << 8) | b[1]``, else None. The value
    of other calls (``strlen(tags[i])``: the real length of an element) is not an element."""
    c = ast.strip(expr)
    if c is None:
        return None
    if c.kind == K.ARRAY_SUBSCRIPT_EXPR:
        kids = ast.children(c)
        return ast.base_var(kids[0]) if kids else None
    if c.kind == K.CALL_EXPR:
        if c.spelling in ("operator[]", "at"):
            return ast.base_var(c)
        if c.spelling in PARSERS:
            args = ast.call_args(c)
            return ast.base_var(args[0]) if args else None
        if c.spelling not in ("static_cast", "size_t", "uint8_t", "uint16_t", "uint32_t"):
            return None
    for kid in ast.children(c):
        if (b := _element_of(kid)) is not None:
            return b
    return None


def data_lengths(fn: FunctionFacts) -> dict[str, str]:
    """Variables assigned a length read from a buffer: ``{len: buf}``."""
    out: dict[str, str] = {}
    for ev in fn.events:
        if ev.kind == "assign" and ev.args and ev.args[0] is not None and ev.name:
            buf = _element_of(ev.args[0])
            if buf and buf != ev.name:
                out[ev.name] = buf
            elif ev.name in out:
                out.pop(ev.name)  # assigned again from something else
    return out


def _end_pointers(fn: FunctionFacts, buf: str) -> set[str]:
    """Pointers a parser leaves inside ``buf``: ``end`` of ``strtoul(buf + pos, &end, 10)``, which
    points just past the digits it read (a later ``memcpy(out, end + 1, len)`` reads ``buf``)."""
    out: set[str] = set()
    for ev in fn.calls(*PARSERS):
        if len(ev.args) >= 2 and ev.args[0] is not None and ev.args[1] is not None and ast.base_var(ev.args[0]) == buf:
            arg = ast.strip(ev.args[1])
            if arg.kind == K.UNARY_OPERATOR and (end := ast.base_var(arg)):
                out.add(end)
    return out


def _size_parameter(fn: FunctionFacts, buf: str) -> str | None:
    """The integer parameter right after the pointer parameter ``buf`` (``(const unsigned char
    *pkt, size_t n)``): the C way to pass a buffer with its length."""
    if fn.cursor is None:
        return None
    params = list(fn.cursor.get_arguments())
    for first, second in zip(params, params[1:]):
        if first.spelling == buf and first.type.get_canonical().kind in (ci.TypeKind.POINTER, ci.TypeKind.INCOMPLETEARRAY):
            if second.type.get_canonical().kind in ast.INTEGER_KINDS - ast.CHAR_KINDS:
                return second.spelling
    return None


def _size_names(fn: FunctionFacts, buf: str, pos_vars: set[str]) -> set[str]:
    """Names that stand for ``buf``'s size in a condition: the variables a read position is
    compared with (``pos < n``, ``n > pos + 1``), the integer parameter passed right after it,
    and the size its (buffer, size) pairs give it (buffer_pairs.py); ``size``/``length``/
    ``strlen`` calls are told by the guard's text."""
    out: set[str] = {size for b, size in size_pairs(fn) if b == buf}
    if size := _size_parameter(fn, buf):
        out.add(size)
    for ev in fn.events:
        for g in ev.state.guards + tuple(ev.state.checks):
            for p in pos_vars & _words(g):
                q = re.escape(p)
                for m in re.finditer(rf"\b{q}\b[^<>=!&|?]*?(?:<=?|>=?) \(? ?(\w+)", g.text):
                    out.add(m.group(1))
                for m in re.finditer(rf"(\w+) \)? ?(?:<=?|>=?)[^<>=!&|?]*?\b{q}\b", g.text):
                    out.add(m.group(1))
    return {n for n in out if not n.isdigit()} - pos_vars - {buf}


def _guarded(ev: Event, length_vars: set[str], buf: str, sizes: set[str]) -> bool:
    """A condition on the way reads the length together with the data's size."""
    for g in ev.state.guards + tuple(ev.state.checks):
        if not (_words(g) & length_vars):
            continue
        text = g.text
        if (_words(g) | g.vars) & sizes or f"{buf} . size ( )" in text or f"{buf} . length ( )" in text or f"strlen ( {buf}" in text:
            return True
        if f"{buf} . end ( )" in text:
            return True
    return False


def _steps(fn: FunctionFacts) -> list[tuple[str, tuple]]:
    """(variable, guards on the way) of every ``++``/``--``/``+=``/``-=`` of a plain variable."""
    out = []
    for ev in fn.events:
        if ev.kind == "arith" and ev.name in STEPS and ev.args and ev.args[0] is not None:
            if v := ast.var_name(ev.args[0]):
                out.append((v, ev.state.guards))
    return out


def _loop_vars(ev: Event, length_vars: set[str], steps: list[tuple[str, tuple]]) -> set[str]:
    """Variables that step once per pass of an enclosing loop whose condition compares with the
    length: the loop's own counter (``i`` of ``for (i = 0; i < len; ++i)``) and a position the
    body advances (``msg[pos]; ++pos;`` inside that loop; ``steps``: :func:`_steps`)."""
    loops = [g for g in ev.state.guards if g.loop and g.truth and _words(g) & length_vars]
    out = {v for g in loops for v in g.vars & _words(g)}
    out |= {v for v, guards in steps if any(g in guards for g in loops)}
    return out - length_vars


def _words(g) -> set[str]:
    """The condition's own tokens (``Guard.tokens`` adds those of the flags' definitions)."""
    return set(g.text.split())


def _mentions(expr, names: set[str]) -> bool:
    return bool(expr is not None and ast.refs(expr) & names)


@QUERIES.register("length-from-data")
class LengthFromData:
    rule = "length-from-data"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        lengths = data_lengths(fn)
        if not lengths:
            return []
        steps = _steps(fn)  # once per function: every read's loop variables are looked up in it
        hits: list[Hit] = []
        reported: set[str] = set()
        body = fn.body_text
        for length, buf in lengths.items():
            if length in reported:
                continue
            derived = {length}  # not what it flows into: `pos += len` makes pos no length
            pos_vars = self._positions(fn, buf) - derived
            sizes = _size_names(fn, buf, pos_vars) - derived
            # a pointer whose size the function never tests (a container's size is read by
            # size() or length())
            if not sizes and f"{buf} . size" not in body and f"{buf} . length" not in body:
                continue
            views = {buf} | _end_pointers(fn, buf)
            for ev in fn.events:
                extent = self._read_extent(ev, buf, views | ev.state.aliases(buf), derived, steps)
                if extent is None or _guarded(ev, derived, buf, sizes):
                    continue
                reported.add(length)
                hits.append(Hit(self.rule, ("CWE-125", "CWE-126", "CWE-130"), ev.line, ev.column,
                                f"'{length}' is read from '{buf}' itself and bounds {extent} with no "
                                f"check against the size of '{buf}': a message that claims more bytes "
                                f"than it has is read past its end"))  # fmt: skip
                break
        return hits

    @staticmethod
    def _positions(fn: FunctionFacts, buf: str) -> set[str]:
        """Variables in the index or offset expressions of reads of ``buf``."""
        out: set[str] = set()
        for ev in fn.events:
            if ev.kind == "deref" and ev.name == buf and ev.args and ev.args[0] is not None:
                out |= ast.refs(ev.args[0])
            elif ev.kind == "call" and ev.name == "operator[]" and len(ev.args) == 2 and ast.base_var(ev.args[0]) == buf:
                out |= ast.refs(ev.args[1])
            elif ev.kind == "arith" and ev.name == "+" and ev.args and ast.base_var(ev.args[0]) == buf:
                out |= set().union(*(ast.refs(a) for a in ev.args[1:] if a is not None))
        return out

    @staticmethod
    def _read_extent(ev: Event, buf: str, views: set[str], derived: set[str], steps: list[tuple[str, tuple]]) -> str | None:
        """How ``ev`` reads ``buf`` over an extent given by the length, described; else None.
        ``views``: ``buf`` and the pointers into it (aliases, a parser's end pointer)."""
        if ev.kind == "call" and ev.name in SIZED_READS and ev.obj is None:
            src, count = SIZED_READS[ev.name]
            if len(ev.args) > max(src, count) and ev.args[src] is not None:
                if ast.base_var(ev.args[src]) in views and _mentions(ev.args[count], derived):
                    return f"the {ev.name}() from it"
        if ev.kind == "call" and ev.name in POINTER_COUNT_READS and len(ev.args) >= 2 and ev.args[0] is not None:
            # std::string(reinterpret_cast<const char*>(&msg[pos]), len)
            if ast.base_var(ev.args[0]) == buf and _mentions(ev.args[1], derived):
                return f"the ({ast.compact(ev.args[0])[:30]}, {ast.compact(ev.args[1])[:20]}) range in {ev.name}()"
        if ev.kind == "call" and ev.name not in SIZED_READS:
            # an iterator or pointer range into buf that ends length elements on:
            # std::string(msg.begin() + pos, msg.begin() + pos + len), std::copy(b + p, b + p + len, out)
            for a in ev.args:
                if a is None:
                    continue
                text = ast.text(a)
                if _mentions(a, derived) and (f"{buf} . begin ( )" in text or f"{buf} . data ( )" in text
                                              or (ast.base_var(a) == buf and ast.strip(a).kind == K.BINARY_OPERATOR)):
                    return f"a range of '{buf}' in {ev.name}()"
        if ev.kind == "deref" and ev.name == buf and ev.args and ev.args[0] is not None:
            index = ev.args[0]
            if _mentions(index, derived):
                return f"the read '{ast.compact(ev.cursor)[:30]}'"
            if _mentions(index, _loop_vars(ev, derived, steps)):
                return f"the loop reading '{ast.compact(ev.cursor)[:30]}'"
        if ev.kind == "call" and ev.name == "operator[]" and len(ev.args) == 2 and ast.base_var(ev.args[0]) == buf:
            index = ev.args[1]
            if _mentions(index, derived | _loop_vars(ev, derived, steps)):
                return f"the loop reading '{ast.compact(ev.cursor)[:30]}'"
        return None
