"""A copy into a buffer parameter whose size is another parameter, with a count that nothing
compares with that size (CWE-787, CWE-120, CWE-805).

``int field(const char *buf, size_t n, char *out, size_t out_size)``: the caller says how
large ``out`` is. A ``memcpy``/``memmove``/``strncpy``/``memset`` into ``out`` (or into
``out + k``) whose count comes from the input, from a parameter, or from the data itself
(``len = strtoul(buf + pos, ...)``, ``len = msg[0]``) must be compared with ``out_size`` first:
a check of the count against the *source* (``if (pos + len > n) return -1;``) keeps the read in
bounds, not the write. The pair (``out``, ``out_size``) is known from the file, never from the
names (:mod:`.buffer_pairs`: a call passes a fixed-size array and its size, or the function
passes the pair to ``snprintf``/``fgets``/``strlcpy``).

Protected: a count that is the size or computed from it (``out_size - 1``, ``room``); a
condition on the way that reads the count (or what it came from) together with the size or a
value computed from it (``len >= out_size``, ``len + 1 > room``); a count clamped where it is
computed (``?:``, ``min``).

CodeQL counterpart: ``cpp/overflow-destination`` / ``cpp/unbounded-write`` (a tainted copy size
with no bound from the destination); CodeQL bounds the destination by its allocation, which it
follows into the callee through the call's argument, as the pair does here. ``out-of-bounds``
reports the same for destinations that are fixed-size arrays, where any relational check counts;
here only a check against the size does.
"""

from __future__ import annotations

from seccodegen.judge.dataflow import Event, FunctionFacts, ast
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.buffer_pairs import size_pairs
from seccodegen.judge.dataflow.queries.data_length import data_lengths
from seccodegen.judge.dataflow.queries.origins import Origins, clamped, uncontrolled_var

# copy calls: name -> (destination position, count position)
COPIES = {"memcpy": (0, 2), "memmove": (0, 2), "strncpy": (0, 2), "memset": (0, 2)}


def _from_size(ev: Event, names: set[str], size: str) -> bool:
    """Some of ``names`` is the size parameter or was computed from it."""
    return any(v == size or size in ev.state.derived.get(v, frozenset()) for v in names)


def _checked_against(ev: Event, var: str, size: str) -> bool:
    """A condition on the way reads ``var`` (or what it came from) and the size (or a value
    computed from it)."""
    rel = ev.state.related(var)
    for g in ev.state.guards + tuple(ev.state.checks):
        words = set(g.text.split()) | g.vars
        if words & rel and _from_size(ev, words, size):
            return True
    return False


@QUERIES.register("copy-past-size-parameter")
class CopyPastSizeParameter:
    rule = "copy-past-size-parameter"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        pairs = dict(size_pairs(fn)) if fn.events else {}
        if not pairs:
            return []
        origins = Origins.of(fn)
        lengths = data_lengths(fn)
        hits: list[Hit] = []
        for ev in fn.calls(*COPIES):
            dest_pos, count_pos = COPIES[ev.name]
            if ev.obj is not None or len(ev.args) <= count_pos or ev.args[dest_pos] is None:
                continue
            dest = ast.base_var(ev.args[dest_pos])
            size = pairs.get(dest)
            count = ev.args[count_pos]
            if size is None or count is None:
                continue
            names = ast.refs(count)
            if _from_size(ev, names, size):
                continue
            for var in sorted(names):
                why = uncontrolled_var(var, ev, origins, params=True)
                if var in lengths:
                    why = f"a length read from '{lengths[var]}' itself"
                if why and not _checked_against(ev, var, size) and not clamped(fn, ev, var):
                    hits.append(Hit(self.rule, ("CWE-787", "CWE-120", "CWE-805"), ev.line, ev.column,
                                    f"{ev.name}() into '{dest}' of '{var}' bytes ({why}), never compared "
                                    f"with its size '{size}'"))  # fmt: skip
                    break
        return hits
