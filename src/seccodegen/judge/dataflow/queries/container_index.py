"""A C++ container indexed at its own size (CWE-193 with CWE-125 for a read, CWE-787 for a write).

Fires where ``c[i]`` on a ``std::vector``/``std::deque``/``std::array`` is reached only under
non-strict bounds of ``i`` by the container's size: ``for (i = 0; i <= v.size(); ++i) total +=
v[i];``, ``if (idx > v.size()) return -1; return v[idx];``, or the same with a variable holding
the size (``int n = v.size(); for (int j = 0; j <= n; ++j) v[j] = 0;``); also ``c[i + k]`` under
``i < c.size()`` alone (``for (i = 0; i < args.size(); ++i) ... args[i + 1]``: the option's value
read past the last argument). The last pass of such a
loop, or an index equal to the size, touches the element one past the end: ``operator[]`` does
no check, so the read or write lands outside the block (ASan reports it; libstdc++'s
``_GLIBCXX_ASSERTIONS`` aborts).

The weakness modelled is the direction of the bound, as in :mod:`.off_by_one`: any strict bound
of ``i`` (``i < v.size()``, ``i + 1 <= n``), a bound against anything else (a constant, which
may keep ``i`` below the size), or a condition on ``i`` that is not read here, protects the
access. ``std::string`` is left out: ``s[s.size()]`` reads its terminating NUL, which C++11
allows.

CodeQL counterpart: none for containers (its ``cpp/off-by-one-array-access``-style range checks
see raw arrays only); this is the access range analysis would find equal to the size, done on
the checks themselves.
"""

from __future__ import annotations

import re

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.index_values import written_offsets
from seccodegen.judge.dataflow.queries.off_by_one import upper_bounds
from seccodegen.judge.dataflow.queries.origins import is_integer

K = ci.CursorKind
INDEXED = ("std::vector<", "std::deque<", "std::array<", "vector<", "deque<", "array<")
CAST = r"(?:\( (?:const )?[\w:]+ (?:[\w:]+ )?\) |static_cast < [\w: ]+ > \( )?"


def _indexed_container(arg) -> str | None:
    """The variable of a vector/deque/array ``arg`` names, else None."""
    c = ast.strip(arg)
    if c is None or c.kind != K.DECL_REF_EXPR:
        return None
    spelled = c.type.get_canonical().spelling.replace("const ", "")
    return ast.var_name(c) if spelled.startswith(INDEXED) else None


def _is_size_of(other: list[str], container: str, fn: FunctionFacts) -> bool:
    """``other`` (a comparison's side) is ``container.size()``, or one variable the function sets
    to exactly that (``int n = v.size();``, ``n = (int)v.size();``)."""
    if other == [container, ".", "size", "(", ")"]:
        return True
    if len(other) != 1 or not other[0].isidentifier():
        return False
    pattern = rf"\b{re.escape(other[0])} = {CAST}{re.escape(container)} \. size \( \)(?: \))? ;"
    return re.search(pattern, fn.body_text) is not None


@QUERIES.register("container-index-at-size")
class ContainerIndexAtSize:
    rule = "container-index-at-size"
    languages = ("cpp",)

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        hits: list[Hit] = []
        writes: set[int] | None = None
        for ev in fn.events:
            if not (ev.kind == "call" and ev.name == "operator[]" and len(ev.args) == 2):
                continue
            container, index = _indexed_container(ev.args[0]), ast.strip(ev.args[1])
            var, offset = _index_parts(index)
            if container is None or var is None or not is_integer(index):
                continue
            loose = _loose_bound(ev, var, container, fn, offset)
            if loose is None:
                continue
            if writes is None:
                writes = written_offsets(fn)
            written = ev.cursor.extent.start.offset in writes
            cwes = ("CWE-193", "CWE-787" if written else "CWE-125")
            shown = f"{var} + {offset}" if offset else var
            op = "<" if offset else "<="
            msg = (f"'{var}' is bounded by '{var} {op} {loose}': '{container}[{shown}]' "
                   f"{'writes' if written else 'reads'} past the end")  # fmt: skip
            hits.append(Hit(self.rule, cwes, ev.line, ev.column, msg))
        return hits


def _index_parts(index) -> tuple[str | None, int]:
    """(variable, offset) of an index ``i`` or ``i + k`` (``k`` a positive literal)."""
    if index is None:
        return None, 0
    if (name := ast.var_name(index)) is not None:
        return name, 0
    toks = ast.tokens(index)
    if len(toks) == 3 and toks[1] == "+" and toks[0].isidentifier() and toks[2].isdigit() and int(toks[2]) > 0:
        return toks[0], int(toks[2])
    return None, 0


def _loose_bound(ev: Event, var: str, container: str, fn: FunctionFacts, offset: int = 0) -> str | None:
    """The size expression that bounds ``var`` only non-strictly on the way to ``ev`` (any bound,
    for an index ``var + k``), when no other bound of ``var`` is there; else None. For ``var + k``
    a condition that reads ``var + ...`` or ``... - k`` (``if (i + 1 >= args.size()) break;``)
    is a check of the offset index and protects it."""
    bounds = upper_bounds(ev, var)
    if not bounds:
        return None
    if offset:
        texts = [g.text for g in list(ev.state.guards) + list(ev.state.checks) if var in g.text.split()]
        if any(f"{var} +" in t or re.search(r"- \d+\b", t) for t in texts):
            return None
    loose = None
    for other, strict in bounds:
        if strict and not offset or not _is_size_of(other, container, fn):
            return None
        loose = "".join(other)
    return loose
