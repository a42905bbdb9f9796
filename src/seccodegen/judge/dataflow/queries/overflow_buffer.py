"""Buffer overflow with sizes known to the analysis (CWE-787 with 121/122, CWE-805, CWE-120, CWE-125).

Fires on a copy, fill or read into a buffer whose size is known (a fixed-size array, or a block
from ``malloc``/``calloc``/``realloc``/``alloca`` with a constant size, also through an alias
``data = dataBuffer``) when the number of bytes the call writes is known on every path and larger:

* ``memcpy``/``memmove``/``memset``/``strncpy``/``snprintf``/``fgets``/``read``/``recv``/``fread``
  (and a C++ stream's ``in.getline(buf, n)``/``in.read(buf, n)``/``in.get(buf, n)``)
  with a constant size (``100 * sizeof(int)``, ``strlen(src)`` of a string whose length is known)
  past the destination's end; ``memcpy``/``memmove`` reading past the source's end (CWE-125);
* ``strcpy``/``stpcpy`` of a string whose length is known (a literal, or a buffer filled by
  ``memset`` and terminated at a known index, or built by ``strcpy``/``strcat`` of known strings)
  that does not fit with its NUL; ``strcat``/``strncat`` where the destination's known current
  length (0 when unknown) plus what is appended (the source's known length, or ``strncat``'s
  bound) plus the NUL exceeds the size.

The string lengths, sizes and constants are the core's must-facts (:mod:`..values`): a
buffer the program fills from input, or writes at an unknown index, has no known length, so
this query never guesses. Flows of *unknown* lengths (input copied into a fixed-size buffer) are
the ``out-of-bounds`` query's ``unbounded-write`` part.

CodeQL counterparts: ``cpp/overflow-buffer`` (a memory function's size argument larger than the
buffer it accesses), ``cpp/static-buffer-overflow`` (constant sizes against fixed arrays),
``cpp/unsafe-strncat``/``cpp/unsafe-strcat``. Deliberate differences: string lengths are
followed through ``memset`` + NUL terminator and ``strlen`` (CodeQL's range analysis does not
know ``strlen`` of a local buffer), so ``memcpy(dest, src, strlen(src))`` is decided by the
lengths, not by the idiom (gcc's ``-Wstringop-overflow`` "bound depends on the length of the
source argument" flags the idiom whatever the sizes and is therefore not decisive here).
"""

from __future__ import annotations

from seccodegen.judge.dataflow import Event, FunctionFacts, values
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit

# function -> (destination position, positions whose product is the bytes written)
SIZED_WRITES: dict[str, tuple[int, tuple[int, ...]]] = {
    "memcpy": (0, (2,)), "memmove": (0, (2,)), "memset": (0, (2,)), "strncpy": (0, (2,)),
    "stpncpy": (0, (2,)), "snprintf": (0, (1,)), "vsnprintf": (0, (1,)), "fgets": (0, (1,)),
    "read": (1, (2,)), "recv": (1, (2,)), "fread": (0, (1, 2)), "bzero": (0, (1,)),
}  # fmt: skip
# member reads of a C++ input stream into a buffer: in.getline(buf, n), in.read(buf, n), in.get(buf, n)
STREAM_WRITES: dict[str, tuple[int, tuple[int, ...]]] = {"getline": (0, (1,)), "get": (0, (1,)), "read": (0, (1,))}
SIZED_READS = {"memcpy": (1, 2), "memmove": (1, 2)}  # function -> (source position, size position)
WHERE_CWE = {"stack": "CWE-121", "heap": "CWE-122"}


@QUERIES.register("overflow-buffer")
class OverflowBuffer:
    rule = "overflow-buffer"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        hits = []
        for ev in fn.events:
            if ev.kind == "call" and (ev.obj is None or _stream(ev.obj)):
                hit = self._write(ev) or (self._read(ev) if ev.obj is None else None)
                if hit:
                    hits.append(hit)
        return hits

    def _write(self, ev: Event) -> Hit | None:
        st, name, args = ev.state, ev.name, ev.args
        table = SIZED_WRITES if ev.obj is None else STREAM_WRITES
        if name in table:
            dest_pos, size_pos = table[name]
            if dest_pos >= len(args):  # in.get() reads one character
                return None
            written = values.product(args, size_pos, st)
            kind = "CWE-805"
        elif ev.obj is None and name in ("strcpy", "stpcpy", "strcat", "strncat") and len(args) >= 2:
            dest_pos, kind = 0, "CWE-120"
            added = values.string_length(args[1], st)
            if name == "strncat" and len(args) == 3:
                bound = values.const_value(args[2], st)
                added = bound if added is None else added if bound is None else min(added, bound)
            start = st.strlens.get(values.plain_var(args[0]) or "", 0) if name in ("strcat", "strncat") else 0
            written = None if added is None else start + added + 1  # the NUL too
        else:
            return None
        cap = values.capacity(args[dest_pos], st)
        if written is None or cap is None or written <= cap[0]:
            return None
        cwes = ("CWE-787", kind) + ((WHERE_CWE[cap[1]],) if cap[1] in WHERE_CWE else ())
        where = f"{cap[1]} " if cap[1] in WHERE_CWE else ""
        return Hit(self.rule, cwes, ev.line, ev.column,
                   f"{name}() writes {written} bytes into a {cap[0]}-byte {where}buffer")  # fmt: skip

    def _read(self, ev: Event) -> Hit | None:
        if ev.name not in SIZED_READS:
            return None
        src_pos, size_pos = SIZED_READS[ev.name]
        if size_pos >= len(ev.args):
            return None
        n = values.const_value(ev.args[size_pos], ev.state)
        cap = values.capacity(ev.args[src_pos], ev.state)
        if n is None or cap is None or n <= cap[0]:
            return None
        return Hit(self.rule, ("CWE-125", "CWE-126"), ev.line, ev.column,
                   f"{ev.name}() reads {n} bytes from a {cap[0]}-byte buffer")  # fmt: skip


def _stream(obj) -> bool:
    """``obj`` (a member call's object) is a C++ stream: ``std::cin``, an ``std::ifstream``..."""
    try:
        return "stream" in obj.type.get_canonical().spelling
    except AttributeError:
        return False
