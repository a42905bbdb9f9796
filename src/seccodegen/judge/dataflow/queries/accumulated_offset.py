"""A write through a pointer or offset that a loop advances, where only each step is checked
(CWE-787, CWE-119).

Fires where, inside a loop, a pointer or offset ``p`` is advanced by a data-dependent amount
(``out += len``, ``pos += part.size() + 1``) and a write goes through it (``strcpy``/
``strncpy``/``strcat``/``memcpy``/``sprintf``/``memset``/``std::copy`` into ``p`` or ``buf + p``,
or ``p[i] = ...``; ``strcat(out, part)`` in a loop advances ``out`` by itself), while no check on the way reads the accumulated position: not ``p`` itself
(``if (used + len >= size)``, ``if (out + len > end)``) nor another variable the loop keeps in
step (``remaining -= len`` tested as ``if (len >= remaining)``), nor the write's own byte count
(``snprintf(out + pos, SIZE - pos, ...)``). A check of each component alone
(``if (part.size() > kMaxPath - 1) return false;``) bounds one step, not the sum over all
iterations: the components' total overruns the destination.

CodeQL counterpart: ``cpp/overflow-destination`` and ``cpp/unbounded-write``, whose range
analysis widens such a loop-carried offset to the type's range and so finds no bound.
Deliberate differences: a check of any kind that reads the position counts (its correctness is
not proved), and increments by a constant (``*out++ = c``) are left to other queries.
"""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast, values
from seccodegen.judge.dataflow.guard_kinds import RELATIONAL
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.copy_bounds import SIZED_COPIES
from seccodegen.judge.dataflow.queries.index_values import written_offsets
from seccodegen.judge.dataflow.queries.out_of_bounds import COPY_DEST

K = ci.CursorKind
# call -> position of the destination it writes
WRITE_DEST = {**COPY_DEST, "stpncpy": 0, "strlcpy": 0, "strlcat": 0, "copy": 2, "copy_n": 2}
# bounded writes: call -> position of the byte count (a count computed from the position,
# snprintf(out + pos, SIZE - pos, ...), keeps the write inside whatever the check missed)
SIZE_ARG = {**SIZED_COPIES, "snprintf": 1, "stpncpy": 2, "strlcpy": 2, "strlcat": 2, "copy_n": 1}
APPENDS = {"strcat", "wcscat", "stpcpy"}


def _steps(fn: FunctionFacts) -> tuple[dict[str, int], set[str]]:
    """Variables advanced inside a loop by a non-constant amount (name -> line), and every
    variable a loop changes by ``+=``/``-=`` (the candidates for a running total or a remainder)."""
    advanced: dict[str, int] = {}
    running: set[str] = set()
    for ev in fn.events:
        if ev.kind != "arith" or ev.name not in ("+=", "-=") or ev.loop_depth == 0 or len(ev.args) != 2:
            continue
        var = ast.base_var(ev.args[0]) if ev.args[0] is not None else None
        if not var:
            continue
        running.add(var)
        step = ev.args[1]
        if ev.name == "+=" and step is not None and values.const_value(ast.strip(step), ev.state) is None:
            advanced.setdefault(var, ev.line)
    for ev in fn.events:  # strcat(out, part) in a loop appends at the end of what earlier passes wrote
        if ev.kind == "call" and ev.name in APPENDS and ev.loop_depth > 0 and len(ev.args) == 2:
            var = ast.base_var(ev.args[0])
            if var and ast.strip(ev.args[1]) is not None and ast.strip(ev.args[1]).kind != K.STRING_LITERAL:
                advanced.setdefault(var, ev.line)
    return advanced, running


def _atoms(text: str) -> list[set[str]]:
    """The tokens of each ``&&``/``||`` operand of a condition."""
    atoms, cur = [], set()
    for t in text.split():
        if t in ("&&", "||"):
            atoms.append(cur)
            cur = set()
        else:
            cur.add(t)
    return [*atoms, cur]


def _position_checked(ev: Event, var: str, running: set[str]) -> bool:
    """A comparison on the way reads ``var`` (an alias) or a running total in the same operand:
    ``out == nullptr || n > kMax`` checks the step, not the position."""
    st = ev.state
    wanted = st.aliases(var) | running
    for g in list(st.guards) + list(st.checks):
        for atom in _atoms(g.text):
            if atom & RELATIONAL and atom & wanted:
                return True
    return False


@QUERIES.register("accumulated-offset")
class AccumulatedOffset:
    rule = "accumulated-offset"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        advanced, running = _steps(fn)
        if not advanced:
            return []
        writes = written_offsets(fn)
        hits: list[Hit] = []
        reported: set[str] = set()
        for ev in fn.events:
            if ev.loop_depth == 0 and ev.iteration == 1:
                continue  # before the loop, or its condition's first test
            dest = None
            if ev.kind == "call" and ev.name in WRITE_DEST and ev.obj is None and len(ev.args) > WRITE_DEST[ev.name]:
                dest = ev.args[WRITE_DEST[ev.name]]
            elif ev.kind == "deref" and ev.cursor.extent.start.offset in writes:
                dest = ev.cursor
            if dest is None:
                continue
            size = None
            if ev.kind == "call" and SIZE_ARG.get(ev.name, len(ev.args)) < len(ev.args):
                size = ev.args[SIZE_ARG[ev.name]]
            for var in sorted(ast.refs(dest) & set(advanced) - reported):
                if _position_checked(ev, var, running):
                    continue
                if size is not None and ast.refs(size) & (ev.state.aliases(var) | running):
                    continue  # the count is what is left after the position
                reported.add(var)
                hits.append(Hit(self.rule, ("CWE-787", "CWE-119"), ev.line, ev.column,
                                f"write through '{var}', which the loop advances (line {advanced[var]}) by a "
                                f"varying amount, and no check on the way reads '{var}' or a running total: "
                                "each step is bounded, their sum is not"))  # fmt: skip
        return hits
