"""A read out of a fixed-size array sized by an unchecked count (CWE-125, CWE-126).

``fwrite(msg, 1, len, stdout)``, ``write(fd, buf, n)``, ``send(s, buf, n, 0)`` and the source of
``memcpy``/``memmove``/``memcmp`` read ``n`` bytes *from* a buffer. Where that buffer is a
fixed-size array and the count comes from the input, a random value or a parameter (as the
out-of-bounds query's indexes do) with no relational check of it on the way (``if (len >
strlen(msg)) return``, ``n < sizeof buf``, a clamp), a count larger than the array reads the
memory after it: the stack's other variables, return addresses, secrets, sent to the caller.
A count that is a read's own result (``n = read(fd, buf, sizeof buf)``, then ``write(1, buf,
n)``) is bounded by that read and is not reported, nor a count of at most the array's size
known on every path.

CodeQL counterpart: ``cpp/overflow-buffer`` (a call that reads more than its source buffer
holds), whose range analysis sees an input-sized count as unbounded. Deliberate differences:
parameters count as input (the scenarios' functions receive their input that way); any
relational check of the count counts as a bound without proving it tight; pointers of unknown
size are left alone.
"""

from __future__ import annotations

from seccodegen.judge.dataflow import FunctionFacts, values
from seccodegen.judge.dataflow import ast as dast
from seccodegen.judge.dataflow.ast import array_size
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.origins import (
    Origins,
    bound_sides,
    clamped,
    read_count_bound,
    uncontrolled_var,
)

# call -> (position of the buffer it reads from, positions whose product is the byte count)
SIZED_READS: dict[str, tuple[int, tuple[int, ...]]] = {
    "fwrite": (0, (1, 2)), "write": (1, (2,)), "send": (1, (2,)), "sendto": (1, (2,)),
    "memcpy": (1, (2,)), "memmove": (1, (2,)), "memcmp": (0, (2,)), "pwrite": (1, (2,)),
}  # fmt: skip


@QUERIES.register("over-read")
class OverRead:
    rule = "over-read"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        origins = None
        hits = []
        for ev in fn.calls(*SIZED_READS):
            src_pos, count_pos = SIZED_READS[ev.name]
            if ev.obj is not None or len(ev.args) <= max(src_pos, *count_pos):
                continue
            size = array_size(ev.args[src_pos])
            if size is None:
                continue
            counts = [ev.args[p] for p in count_pos]
            known = [values.const_value(c, ev.state) for c in counts]
            if all(k is not None for k in known):
                continue  # a constant count is overflow-buffer's to compare
            origins = origins or Origins.of(fn)
            for count in counts:
                why = self._unchecked(fn, ev, count, origins, size)
                if why:
                    msg = (f"{ev.name}() reads '{dast.compact(count)}' bytes ({why}) from the {size}-element "
                           f"array '{dast.compact(ev.args[src_pos])}', count unchecked")  # fmt: skip
                    hits.append(Hit(self.rule, ("CWE-125", "CWE-126"), ev.line, ev.column, msg))
                    break
        return hits

    @staticmethod
    def _unchecked(fn: FunctionFacts, ev, count, origins: Origins, size: int) -> str | None:
        for var in sorted(dast.refs(count)):
            why = uncontrolled_var(var, ev, origins, params=True)
            if not why:
                continue
            bound = read_count_bound(fn, var)
            if bound is not None and bound <= size:
                continue  # n = read(fd, buf, sizeof buf): what was read, no more
            if bound_sides(ev, var, selectors=origins.selectors(ev, var))[1] or clamped(fn, ev, var):
                continue
            return why
        return None
