"""A downward loop over an unsigned index that ``i >= 0`` never stops (CWE-125/787 via CWE-191).

Fires where an array or container is indexed by an unsigned variable (``size_t``, ``unsigned``,
``auto i = s.size() - 1``) under a condition that tests that variable ``>= 0`` (or ``0 <= i``), and the function decrements it (``--i``, ``i -= k``). For an unsigned value the test
is always true, so when the loop runs past index 0 the index wraps to the type's maximum and the
next access reads (or writes) far outside the buffer: ``for (size_t i = len - 1; i >= 0; --i)``
over a string of spaces, or ``size_t i = s.size() - 1`` of an empty string, whose first index
is already ``SIZE_MAX``.

CodeQL counterparts: ``cpp/unsigned-comparison-zero`` (the always-true test; a maintainability
query there) and ``cpp/unsigned-difference-expression-compared-zero``; this query reports the
test only where the wrapped value then indexes memory, the security consequence. Deliberate
differences: the access and the test must be in the same function and the loop's condition
must contain the test itself; pointer walks (``while (p >= start)``) are not covered.
"""

from __future__ import annotations

import re

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.index_values import written_offsets
from seccodegen.judge.dataflow.queries.origins import is_unsigned

K = ci.CursorKind


def _always_true_test(ev: Event, var: str) -> bool:
    """A condition that held on the way contains ``var >= 0`` or ``0 <= var`` (a loop's, or the
    left of its ``&&``: ``while (i >= 0 && isspace(s[i]))``)."""
    pattern = re.compile(rf"(?:^|[^\w.>-]){re.escape(var)} >= 0(?!\w)|(?:^|[^\w.])0 <= {re.escape(var)}(?![\w.\[(])")
    return any(g.truth and pattern.search(g.text) for g in ev.state.guards)


def _unsigned_refs(index) -> set[str]:
    """The unsigned integer variables ``index`` reads."""
    return {
        name
        for n in index.walk_preorder()
        if n.kind == K.DECL_REF_EXPR and is_unsigned(n) and (name := ast.var_name(n))
    }


@QUERIES.register("unsigned-index-wrap")
class UnsignedIndexWrap:
    rule = "unsigned-index-wrap"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        decremented = {
            ast.base_var(ev.args[0])
            for ev in fn.events
            if ev.kind == "arith" and ev.name in ("--", "-=") and ev.args and ev.args[0] is not None
        }
        decremented.discard(None)
        if not decremented:
            return []
        writes = written_offsets(fn)
        hits: list[Hit] = []
        reported: set[str] = set()
        for ev in fn.events:
            if ev.kind == "deref" and ev.cursor.kind == K.ARRAY_SUBSCRIPT_EXPR and ev.args:
                index = ev.args[0]
            elif ev.kind == "call" and ev.name == "operator[]" and len(ev.args) == 2:
                index = ev.args[1]
            else:
                continue
            if index is None:
                continue
            for var in sorted(_unsigned_refs(index) & decremented - reported):
                if not _always_true_test(ev, var):
                    continue
                reported.add(var)
                write = ev.cursor.extent.start.offset in writes
                cwes = ("CWE-191", "CWE-787") if write else ("CWE-191", "CWE-125")
                hits.append(Hit(self.rule, cwes, ev.line, ev.column,
                                f"'{var}' is unsigned, so '{var} >= 0' is always true: past index 0 "
                                f"it wraps to the type's maximum and '{ast.text(ev.cursor)[:40]}' "
                                f"{'writes' if write else 'reads'} outside the buffer"))  # fmt: skip
        return hits
