"""tree-sitter parsers for C and C++, shared by the own checks and the reachability filter, and
the function definitions of a parsed file as text."""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=2)
def parser(language: str):
    """A tree-sitter parser for ``"c"`` or ``"cpp"`` (ImportError when the grammar is not installed)."""
    import tree_sitter

    if language == "c":
        import tree_sitter_c as grammar
    else:
        import tree_sitter_cpp as grammar
    return tree_sitter.Parser(tree_sitter.Language(grammar.language()))


def functions(tree):
    """Yield (function name, parameter names, body text without comments, body's first line) for
    every definition in a parsed file."""
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            body = node.child_by_field_name("body")
            params = []
            for sub in walk(node.child_by_field_name("declarator")):
                if sub.type in ("parameter_declaration", "optional_parameter_declaration"):
                    names = [n for n in walk(sub) if n.type == "identifier"]
                    if names:
                        params.append((sub.start_byte, names[-1].text.decode()))
            params = [name for _, name in sorted(params)]  # source order: callers pass them by position
            ids = [
                n
                for n in walk(node.child_by_field_name("declarator"))
                if n.type in ("identifier", "field_identifier")
            ]
            name = min(ids, key=lambda n: n.start_byte).text.decode() if ids else ""
            if body is not None:
                yield name, params, without_comments(body), body.start_point[0] + 1
        stack.extend(node.children)


def without_comments(body) -> str:
    """The text of ``body`` with its comments blanked (newlines kept, so line offsets hold): a
    comment that names ``INT_MAX`` or ``strlen`` neither guards nor measures anything."""
    text = bytearray(body.text)
    for n in walk(body):
        if n.type == "comment":
            for i in range(n.start_byte - body.start_byte, n.end_byte - body.start_byte):
                if text[i] != ord("\n"):
                    text[i] = ord(" ")
    return text.decode("utf-8", "replace")


def walk(node):
    """Every node under ``node`` (itself first), depth first."""
    if node is None:
        return
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.children)
