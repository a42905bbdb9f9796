"""tree-sitter parsers for C and C++, shared by the own checks and the reachability filter."""

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
