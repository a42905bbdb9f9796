"""JSON and YAML parsing with limits: nesting depth, YAML alias expansion, lone surrogates.

Python's parsers recurse per nesting level (1,000 levels -> RecursionError) and PyYAML expands
aliases lazily but our configs are later walked in full (a "billion laughs" file -> MemoryError),
so both are bounded here before any stage sees the data.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

MAX_DEPTH = 64  # nesting levels; real configs and records use fewer than 10
MAX_YAML_NODES = 200_000  # YAML nodes after alias expansion; our largest config has a few hundred


class ParseError(ValueError):
    """The text is not valid, or exceeds a limit; the message says which (no file: the caller adds it)."""


def _check_tree(obj: Any, max_depth: int) -> None:
    """Iteratively check depth and that strings hold no lone surrogate (unwritable as UTF-8)."""
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise ParseError(f"string {node[:40]!r} holds a lone surrogate escape (like \\ud800)") from None
            continue
        if isinstance(node, (dict, list)):
            if depth > max_depth:
                raise ParseError(f"nested deeper than {max_depth} levels")
            items = list(node.items()) if isinstance(node, dict) else [(None, v) for v in node]
            for key, value in items:
                if key is not None:
                    stack.append((key, depth))
                stack.append((value, depth + 1))


def parse_json(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` with a nesting limit and no lone surrogates; raises :class:`ParseError`."""
    try:
        obj = json.loads(text)
    except RecursionError:
        raise ParseError(f"nested deeper than {max_depth} levels") from None
    except ValueError as exc:
        raise ParseError(f"invalid JSON ({exc})") from None
    _check_tree(obj, max_depth)
    return obj


# libyaml's safe loader when available (15x faster on the built-in scenario suite)
class _LimitedLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader that refuses documents whose alias expansion or nesting exceeds the limits."""

    def get_single_node(self):  # type: ignore[no-untyped-def]
        node = super().get_single_node()
        if node is not None:
            _check_yaml_node(node)
        return node


def _check_yaml_node(root: yaml.Node) -> None:
    """Count nodes as if aliases were expanded (memoised per node), and the nesting depth."""
    sizes: dict[int, int] = {}
    # iterative post-order walk: (node, depth, children done?)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    on_path: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise ParseError(f"nested deeper than {MAX_DEPTH} levels")
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_YAML_NODES:
                raise ParseError(
                    f"aliases expand to more than {MAX_YAML_NODES} values (a 'billion laughs' document?)"
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise ParseError("an alias refers to the mapping or list that contains it")
        on_path.add(key)
        stack.append((node, depth, True))
        for child in _children(node):
            if id(child) not in sizes:
                stack.append((child, depth + 1, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def parse_yaml(text: str) -> Any:
    """``yaml.safe_load`` with limits; raises :class:`ParseError` (with the line when YAML says it)."""
    try:
        return yaml.load(text, Loader=_LimitedLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise ParseError(f"nested deeper than {MAX_DEPTH} levels") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = (getattr(exc, "problem", None) or str(exc) or type(exc).__name__).splitlines()[0]
        raise ParseError(f"{where}not valid YAML ({problem})") from None
