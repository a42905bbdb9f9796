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

# copy calls whose arguments are (destination, source or fill byte, count)
COPIES = ("memcpy", "memmove", "strncpy", "memset")


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
        sizes: dict[str, list[str]] = {}  # buffer -> its size parameters (sorted: a stable message)
        for buf, size in sorted(size_pairs(fn)) if fn.events else ():
            sizes.setdefault(buf, []).append(size)
        if not sizes:
            return []
        origins = Origins.of(fn)
        lengths = data_lengths(fn)
        hits: list[Hit] = []
        for ev in fn.calls(*COPIES):
            if ev.obj is not None or len(ev.args) < 3 or ev.args[0] is None or ev.args[2] is None:
                continue
            dest = ast.base_var(ev.args[0])
            dest_sizes = sizes.get(dest, [])
            names = ast.refs(ev.args[2])
            if not dest_sizes or any(_from_size(ev, names, size) for size in dest_sizes):
                continue
            for var in sorted(names):
                why = uncontrolled_var(var, ev, origins, params=True)
                if var in lengths:
                    why = f"a length read from '{lengths[var]}' itself"
                checked = any(_checked_against(ev, var, size) for size in dest_sizes)
                if why and not checked and not clamped(fn, ev, var):
                    hits.append(Hit(self.rule, ("CWE-787", "CWE-120", "CWE-805"), ev.line, ev.column,
                                    f"{ev.name}() into '{dest}' of '{var}' bytes ({why}), never compared "
                                    f"with its size '{dest_sizes[0]}'"))  # fmt: skip
                    break
        return hits
