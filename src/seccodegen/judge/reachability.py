"""Findings in code no run of the program can reach: static functions a whole program never names.

A ``static`` C/C++ function is visible only in its own file. In a file that defines ``main`` (a
whole program, as every scenario program and Juliet test case is) a static function that
nothing else in the file names -- no call, no address taken, no macro that expands to it -- is
never called; the compiler does not even emit it (gcc drops it before its ``-O2`` warnings run).
Analyzers that examine each function on its own (clang's analyzer, the dataflow queries) still
report inside it. Such findings stay in the records but do not decide ``secure``
(:func:`live_findings`), the way CodeQL's path queries need a flow from a source that runs.
A file without ``main`` (a lone function, a library fragment) may be called from elsewhere, so
nothing in it is dead.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from seccodegen.findings import Finding

C_LANGUAGES = ("c", "cpp")
_CLASS_BODIES = {"field_declaration_list", "class_specifier", "struct_specifier"}


def _walk(node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.children)


def _name(definition) -> str | None:
    """The declared name of a function definition (``f`` in ``static char *f(int)``)."""
    node = definition.child_by_field_name("declarator")
    while node is not None and node.type != "function_declarator":
        node = node.child_by_field_name("declarator")
    inner = node.child_by_field_name("declarator") if node is not None else None
    return inner.text.decode("utf-8", "replace") if inner is not None and inner.type == "identifier" else None


def _is_prototype_name(ident) -> bool:
    """``ident`` is the name in a declaration without a body (``static int f(int);``)."""
    parent = ident.parent
    while parent is not None and parent.type in ("function_declarator", "pointer_declarator"):
        parent = parent.parent
    return parent is not None and parent.type == "declaration"


@functools.lru_cache(maxsize=1024)  # asked once per deciding analyzer of the same program
def dead_ranges(code: str, language: str) -> tuple[tuple[int, int], ...]:
    """1-based inclusive line ranges of the static functions a whole program never names."""
    if language not in C_LANGUAGES:
        return ()
    try:
        from seccodegen.judge.c_syntax import parser

        tree = parser(language).parse(code.encode("utf-8", "replace"))
    except ImportError:
        return ()
    definitions = [n for n in _walk(tree.root_node) if n.type == "function_definition"]
    if not any(_name(d) == "main" for d in definitions):
        return ()
    macros = " ".join(
        n.text.decode("utf-8", "replace") for n in _walk(tree.root_node) if n.type == "preproc_arg"
    )
    idents: dict[str, list] = {}
    for n in _walk(tree.root_node):
        if n.type == "identifier":
            idents.setdefault(n.text.decode("utf-8", "replace"), []).append(n)
    out = []
    for d in definitions:
        name = _name(d)
        static = any(c.type == "storage_class_specifier" and c.text == b"static" for c in d.children)
        in_class = any(a.type in _CLASS_BODIES for a in _ancestors(d))
        if not name or not static or in_class or re.search(rf"\b{re.escape(name)}\b", macros):
            continue
        used = [
            i for i in idents.get(name, [])
            if not (d.start_byte <= i.start_byte < d.end_byte) and not _is_prototype_name(i)
        ]  # fmt: skip
        if not used:
            out.append((d.start_point[0] + 1, d.end_point[0] + 1))
    return tuple(out)


def _ancestors(node):
    node = node.parent
    while node is not None:
        yield node
        node = node.parent


def live_findings(findings: Iterable[Finding], code: str, language: str, source_name: str) -> list[Finding]:
    """``findings`` without those inside a static function the program never names (:func:`dead_ranges`)."""
    findings = list(findings)
    if not findings:
        return findings
    dead = dead_ranges(code, language)
    if not dead:
        return findings

    def in_dead_code(f: Finding) -> bool:
        own_file = not f.file or f.file == source_name or str(f.file).endswith("/" + source_name)
        return own_file and f.line is not None and any(a <= f.line <= b for a, b in dead)

    return [f for f in findings if not in_dead_code(f)]
