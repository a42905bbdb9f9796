"""Cut one file change into examples at the four granularities (file, function, block, line).

How each is cut (docs/dataset.md has a worked example):

* file: the whole post-fix file; ``changed_lines`` are the lines the fix added or changed.
* function: every function/method definition (tree-sitter) of the post-fix file that contains a
  changed line, or encloses the place where lines were deleted. Innermost definition wins.
* block: for each fix site (hunk), the smallest compound statement/block that encloses all its
  changed lines; if it lies outside any block, the enclosing function, else the top-level
  declarations it touches.
* line: for each fix site, the added/changed lines themselves (pure deletions give none).

Text is cut as whole lines (so a block keeps the ``if (...) {`` on its opening line). ``before`` is
the pre-fix text of the lines that correspond to the same span (mapped through the line diff).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from seccodegen.dataset.changes import FileChange
from seccodegen.dataset.line_diff import LineDiff, diff_lines, split_lines

GRANULARITIES = ("file", "function", "block", "line")

FUNCTION_TYPES = {
    "c": {"function_definition"},
    "cpp": {"function_definition"},
    "java": {"method_declaration", "constructor_declaration", "compact_constructor_declaration"},
    "python": {"function_definition"},
}
BLOCK_TYPES = {
    "c": {"compound_statement"},
    "cpp": {"compound_statement"},
    "java": {"block", "constructor_body"},
    "python": {"block"},
}


@cache
def parser_for(language: str) -> Any:
    """A tree-sitter parser for ``language`` (one per process; grammars load lazily)."""
    from tree_sitter import Language, Parser

    if language == "c":
        import tree_sitter_c as grammar
    elif language == "cpp":
        import tree_sitter_cpp as grammar
    elif language == "java":
        import tree_sitter_java as grammar
    elif language == "python":
        import tree_sitter_python as grammar
    else:
        raise ValueError(f"no grammar for language {language!r}")
    return Parser(Language(grammar.language()))


@dataclass
class Cut:
    granularity: str
    text: str
    before: str | None
    changed_lines: list[int]  # 1-based within ``text``
    start_line: int  # 1-based line of ``text`` within the post-fix file/fragment
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class CutResult:
    cuts: list[Cut]
    problems: list[str]  # reasons a granularity yielded nothing for this change (reported as drops)


def normalise_newlines(text: str | None) -> str | None:
    return None if text is None else text.replace("\r\n", "\n")


def cut_change(change: FileChange, granularities: tuple[str, ...] = GRANULARITIES) -> CutResult:
    after = normalise_newlines(change.after)
    before = normalise_newlines(change.before)
    if after is None or not after.strip():
        return CutResult([], ["the fix deleted this file (no post-fix text)"])
    diff = diff_lines(before, after)
    if not diff.hunks:
        return CutResult([], ["before and after are identical (no changed line)"])
    a_lines = split_lines(after)
    b_lines = split_lines(before or "")
    cuts: list[Cut] = []
    problems: list[str] = []
    if "file" in granularities and change.scope == "file":
        cuts.append(Cut("file", after, before, list(diff.added), 1))
    want_tree = any(g in granularities for g in ("function", "block"))
    root = None
    if want_tree:
        try:
            root = _parse(change.language, after, change.scope)
        except (ValueError, UnicodeEncodeError) as exc:
            problems.append(f"could not parse post-fix text ({exc})")
    if "function" in granularities:
        if change.scope == "function":
            cuts.append(Cut("function", after, before, list(diff.added), 1))
        elif root is not None:
            found = _functions(root, change, diff, a_lines, b_lines)
            cuts += found
            if not found:
                problems.append("function: no complete function encloses the change")
    if "block" in granularities and root is not None:
        found = _blocks(root, change, diff, a_lines, b_lines)
        cuts += found
        if not found:
            problems.append("block: no complete block encloses the change")
    if "line" in granularities:
        found = _line_cuts(diff, a_lines, b_lines, before is not None)
        cuts += found
        if not found:
            problems.append("line: the fix only deleted lines (no post-fix line to train on)")
    return CutResult(cuts, problems)


def _parse(language: str, text: str, scope: str) -> Any:
    source = text
    if language == "python" and scope != "file":
        # a method cut out of a class keeps its indentation; dedent (line count is unchanged)
        import textwrap

        source = textwrap.dedent(text)
    return parser_for(language).parse(source.encode("utf-8", "surrogatepass")).root_node


def _span_cut(
    granularity: str,
    lo: int,
    hi: int,
    diff: LineDiff,
    a_lines: list[str],
    b_lines: list[str],
    has_before: bool,
) -> Cut:
    text = "\n".join(a_lines[lo - 1 : hi]) + "\n"
    changed = [n - lo + 1 for n in diff.added if lo <= n <= hi]
    before = None
    if has_before:
        b_lo, b_hi = diff.before_span(lo, hi)
        before = "\n".join(b_lines[b_lo - 1 : b_hi]) + "\n" if b_hi >= b_lo else ""
    return Cut(granularity, text, before, changed, lo)


def _enclosing(root: Any, lo: int, hi: int, types: set[str], a_lines: list[str]) -> Any:
    """Innermost node of one of ``types`` that spans the non-blank text of lines lo..hi (1-based)."""
    first = a_lines[lo - 1] if lo - 1 < len(a_lines) else ""
    last = a_lines[hi - 1] if hi - 1 < len(a_lines) else ""
    start_col = len(first[: len(first) - len(first.lstrip())].encode("utf-8", "surrogatepass"))
    end_col = max(len(last.rstrip().encode("utf-8", "surrogatepass")), 1)
    node = root.descendant_for_point_range((lo - 1, start_col), (hi - 1, end_col - 1))
    while node is not None:
        if node.type in types:
            return node
        node = node.parent
    return None


def _usable(node: Any, scope: str) -> bool:
    # a fragment (function/hunk) may be cut mid-construct: only take error-free nodes from it
    return scope == "file" or not node.has_error


def _functions(
    root: Any, change: FileChange, diff: LineDiff, a_lines: list[str], b_lines: list[str]
) -> list[Cut]:
    types = FUNCTION_TYPES[change.language]
    seen: dict[tuple[int, int], Cut] = {}
    for hunk in diff.hunks:
        points = hunk.added or list(range(hunk.anchor[0], hunk.anchor[1] + 1))
        for line in points:
            node = _enclosing(root, line, line, types, a_lines)
            if node is None or not _usable(node, change.scope):
                continue
            span = (node.start_point[0] + 1, node.end_point[0] + 1)
            if span not in seen:
                seen[span] = _span_cut("function", *span, diff, a_lines, b_lines, change.before is not None)
                name = node.child_by_field_name("name") or node.child_by_field_name("declarator")
                if name is not None:
                    seen[span].extra["function"] = (
                        name.text.decode("utf-8", "replace").split("(")[0].strip().lstrip("*& ")[:200]
                    )
    return list(seen.values())


def _blocks(
    root: Any, change: FileChange, diff: LineDiff, a_lines: list[str], b_lines: list[str]
) -> list[Cut]:
    lang = change.language
    seen: dict[tuple[int, int], Cut] = {}
    for hunk in diff.hunks:
        lo, hi = hunk.anchor
        node = _enclosing(root, lo, hi, BLOCK_TYPES[lang], a_lines)
        if node is None:
            node = _enclosing(root, lo, hi, FUNCTION_TYPES[lang], a_lines)
        if node is not None and _usable(node, change.scope):
            span = (node.start_point[0] + 1, node.end_point[0] + 1)
        elif node is None and change.scope == "file":
            span = _top_level_span(root, lo, hi)
        else:
            continue
        if span and span not in seen:
            seen[span] = _span_cut("block", *span, diff, a_lines, b_lines, change.before is not None)
    return list(seen.values())


# Containers that only group declarations: a change inside one is cut at the declarations it
# touches, not at the whole container (else an include guard makes the block the whole header).
TRANSPARENT_TYPES = {
    "preproc_if",
    "preproc_ifdef",
    "preproc_else",
    "preproc_elif",
    "preproc_elifdef",
    "linkage_specification",
    "declaration_list",
    "namespace_definition",
    "template_declaration",
    "class_declaration",
    "class_body",
    "interface_declaration",
    "interface_body",
    "ERROR",  # a region tree-sitter could not parse (often macro-heavy C): look inside it
}  # (a C/C++ struct or class is itself the declaration a member change is cut at)


def _top_level_span(root: Any, lo: int, hi: int) -> tuple[int, int] | None:
    """Lines of the declarations that overlap lines lo..hi (a change outside any block).

    Starts at the file's top level and descends through grouping containers (include guards,
    ``extern "C" {}``, namespaces, class bodies) while the change lies inside a single one.
    """
    node = root
    while True:
        overlapping = [
            c for c in node.children if c.start_point[0] + 1 <= hi and c.end_point[0] + 1 >= lo and c.is_named
        ]
        if len(overlapping) == 1 and overlapping[0].type in TRANSPARENT_TYPES and overlapping[0].child_count:
            inner = overlapping[0]
            inner_children = [c for c in inner.children if c.is_named]
            if any(c.start_point[0] + 1 <= hi and c.end_point[0] + 1 >= lo for c in inner_children):
                node = inner
                continue
        break
    if not overlapping:
        return (lo, hi)
    return min(c.start_point[0] + 1 for c in overlapping), max(c.end_point[0] + 1 for c in overlapping)


def _line_cuts(diff: LineDiff, a_lines: list[str], b_lines: list[str], has_before: bool) -> list[Cut]:
    cuts = []
    for hunk in diff.hunks:
        if not hunk.added:
            continue
        text = "\n".join(a_lines[n - 1] for n in hunk.added) + "\n"
        # a pure insertion had nothing there before: "" (None only when no pre-fix file exists)
        before = (
            "\n".join(b_lines[n - 1] for n in hunk.deleted) + "\n"
            if hunk.deleted
            else ("" if has_before else None)
        )
        if not text.strip():
            continue  # only blank lines were added: nothing to learn from
        cuts.append(Cut("line", text, before, list(range(1, len(hunk.added) + 1)), hunk.added[0]))
    return cuts
