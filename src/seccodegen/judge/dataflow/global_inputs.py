"""Input kept in the file's global text buffers: a function fills ``static char titles[16][64]``
with ``fgets`` and another prints it with ``printf(titles[i])``.

:func:`global_text_inputs` finds the file-scope character arrays and ``char`` pointers that hold
input after some function's walk; the functions that read them are walked again with those
labels marked ``@fields`` (:data:`.call_sites.RECORD_TEXT`), which the text sinks (format,
command, path, HTML) accept and the number queries ignore: a buffer's text is followed across
functions, the numbers in it are not (CodeQL's ``cpp/tainted-format-string-through-global``
follows the same flow for formats)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import clang.cindex as ci

from seccodegen.judge.dataflow import ast
from seccodegen.judge.dataflow.facts import EXTERNAL, label_source, with_checks

K = ci.CursorKind
TEXT_ONLY = frozenset({"fields"})


def _is_text(t) -> bool:
    """A ``char`` array (of any dimension) or a pointer to ``char``."""
    t = t.get_canonical()
    while t.kind in (ci.TypeKind.CONSTANTARRAY, ci.TypeKind.INCOMPLETEARRAY):
        t = t.element_type.get_canonical()
    if t.kind == ci.TypeKind.POINTER:
        t = t.get_pointee().get_canonical()
    return t.kind in ast.CHAR_KINDS


def global_text_buffers(tu) -> frozenset[str]:
    """Names of the file's own file-scope text buffers (arrays of ``char``, ``char *`` variables)."""
    main = tu.spelling
    return frozenset(
        c.spelling for c in tu.cursor.get_children()
        if c.kind == K.VAR_DECL and c.location.file is not None and c.location.file.name == main and _is_text(c.type)
    )  # fmt: skip


def global_text_inputs(facts: Iterable, buffers: frozenset[str]) -> dict[str, frozenset[str]]:
    """Global buffer -> the input labels (text only) some function's walk left in it."""
    out: dict[str, set[str]] = {}
    for f in facts:
        params = set(f.params)
        for ev in f.events:
            for name in buffers - params:
                labels = {lbl for lbl in ev.state.taint.get(name, ()) if lbl.startswith(EXTERNAL)}
                if labels:
                    out.setdefault(name, set()).update(with_checks(label_source(lbl), TEXT_ONLY) for lbl in labels)
    return {name: frozenset(labels) for name, labels in out.items()}


def readers(fns, inputs: Mapping[str, frozenset[str]]) -> set[str]:
    """The functions whose body names one of the buffers in ``inputs``."""
    names = set(inputs)
    return {fn.spelling for fn in fns if names & {t.spelling for t in fn.get_tokens()}}
