"""What a condition checks: the kinds of guard (bounds, path, allow-list, NULL) a
:class:`~.facts.Guard` is, read from its tokens, its calls, and the bodies of the file's own
predicates it calls; and the string searches that only find a position (:func:`position_searches`).
Used by :func:`seccodegen.judge.dataflow.facts.guards_of`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from seccodegen.judge.dataflow import ast

if TYPE_CHECKING:
    from seccodegen.judge.dataflow.facts import Guard

K = ast.K

PATH_CALLS = {
    "strstr", "strchr", "strrchr", "strpbrk", "strcspn", "strspn", "strncmp", "memcmp", "find", "rfind",
    "find_first_of", "find_first_not_of", "realpath", "canonical", "weakly_canonical", "is_absolute",
    "has_parent_path", "filename", "basename", "lexically_normal", "starts_with", "compare", "isalnum",
    "isalpha", "regex_match", "regex_search", "contains", "find_last_of",
}  # fmt: skip
CANONICALIZERS = {"realpath", "canonical", "weakly_canonical", "canonicalize_file_name"}
ALLOW_CALLS = {
    "strcmp", "strncmp", "strcasecmp", "isalnum", "isalpha", "isdigit", "isxdigit", "islower", "isupper",
    "strspn", "strcspn", "strpbrk", "strchr", "find_first_not_of", "find_first_of", "regex_match",
    "regex_search", "count", "find", "all_of", "any_of", "none_of",
}  # fmt: skip
RELATIONAL = {"<", ">", "<=", ">="}
# a test of whether a name *starts* with ".." (rfind("..", 0), starts_with, strncmp(.., 2), a
# find at 0): "a/../../etc" passes it, so alone it is no path check
PREFIX_DOTDOT = re.compile(
    r'rfind \( "\.\." , 0 \)|starts_with \( "\.\." \)|strncmp \( [^()]* , "\.\." , 2 \)'
    r'|compare \( 0 , 2 , "\.\." \)|find \( "\.\." \) == 0'
)


# strncmp(s, "file=", 5): whether the text *starts* with a literal, not what follows it
PREFIX_COMPARE = re.compile(r'\bstrn(?:case)?cmp \( [^(),]* , ("(?:[^"\\]|\\.)*") , (\d+) \)')


def _prefix_compares_only(text: str) -> bool:
    """Every ``strncmp`` in condition ``text`` compares no more than a literal's own length: a
    prefix test (``strncmp(qs, "file=", 5)``), which says nothing of the rest of the string."""
    found = PREFIX_COMPARE.findall(text)
    calls = len(re.findall(r"\bstrn(?:case)?cmp \(", text))
    return bool(found) and len(found) == calls and all(int(n) <= len(lit) - 2 for lit, n in found)


def _prefix_only(g: Guard) -> bool:
    """``g`` tests the path only for a leading ".." (and nothing else a path check reads)."""
    stripped = PREFIX_DOTDOT.sub(" ", g.text)
    if stripped == g.text:
        return False
    rest = set(stripped.split()) | (g.tokens - set(g.text.split()))  # with the tested flags' definitions
    return not (rest & (PATH_CALLS | ALLOW_CALLS) or rest & {'".."', '"/"', "'/'"})


# calls that compare a string's start with another: a test of where a path begins, which says
# nothing of a ".." after the prefix unless the path was resolved first (realpath, canonical)
PREFIX_CALLS = {"strncmp", "strncasecmp", "memcmp", "compare", "starts_with", "mismatch", "rfind"}


def _unresolved_prefix_only(toks: frozenset[str], names: frozenset[str]) -> bool:
    """The condition's only string test is a prefix comparison (``strncmp(path, BASE, n)``,
    ``p.compare(0, b.size(), b)``, ``std::mismatch``) and nothing in it resolved the path first:
    ``uploads/../etc/passwd`` starts with ``uploads/``."""
    tests = names & (PATH_CALLS | ALLOW_CALLS | PREFIX_CALLS)
    return bool(tests) and tests <= PREFIX_CALLS and not toks & CANONICALIZERS and '".."' not in toks


STRING_EQUALITY = re.compile(r"^(!\s)?str(?:case)?cmp \( [^()]* \)(?: (==|!=) 0)?$")


def _rejects_names(g: Guard) -> bool:
    """``g`` proves only that a string differs from some names: ``strcmp(cmd, "inc") == 0`` failed,
    ``strcmp(a, "x") != 0 && strcmp(a, "y") != 0`` held. What follows may be any other string, so it
    is no allow-list (one that held, ``strcmp(cmd, "show") == 0``, is)."""
    joiners = {t for t in g.text.split() if t in ("&&", "||")}
    if len(joiners) > 1:
        return False
    parts = re.split(r" (?:&&|\|\|) ", g.text) if joiners else [g.text]
    kinds = set()
    for part in parts:
        m = STRING_EQUALITY.match(part.strip("( )").strip())
        if m is None:
            return False
        kinds.add("eq" if (m.group(2) == "==") or (m.group(1) and m.group(2) is None) else "ne")
    if kinds == {"eq"} and joiners <= {"||"}:
        return not g.truth  # none of the names
    if kinds == {"ne"} and joiners <= {"&&"}:
        return g.truth
    return False


def guard_matches(g: Guard, kind: str) -> bool:
    """Whether condition ``g`` is a check of the ``kind`` ("bounds", "path", "allowlist", "null", "any")."""
    toks = g.tokens | g.helper_tokens if kind in ("path", "allowlist") else g.tokens
    names = g.calls | toks  # glibc's isalnum() & co. are macros: the name is a token, not a call
    if kind == "any":
        return True
    if kind == "bounds":
        return bool(toks & RELATIONAL)
    if kind == "null":
        return bool(toks & {"NULL", "nullptr", "!", "==", "!="}) or len(g.vars) == 1
    if kind not in ("path", "allowlist"):
        raise ValueError(f"unknown guard kind {kind!r}")
    if _prefix_only(g) or _rejects_names(g):  # strncmp(name, "..", 2); a failed strcmp(cmd, "inc") == 0
        return False
    if _unresolved_prefix_only(toks, names) and not _prefix_compares_only(g.text):
        return False  # strncmp(path, "logs/", 5) of a path not resolved: "logs/../x" passes
    # allow-list: a known-good test, or a character range (c >= 'a' && c <= 'z'); not a prefix test
    if _prefix_compares_only(g.text):
        names = names - {"strncmp", "strncasecmp"}
    allowed = bool(names & ALLOW_CALLS) or bool(toks & RELATIONAL) and any(t.startswith("'") for t in toks)
    if kind == "path":  # a lone '/' or '.' test (absolute path, leading dot) does not stop "a/../.."
        # realpath()/canonical() in a condition is only its NULL test: "../../etc/passwd" resolves
        # fine; what tests the resolved path is path-injection's business
        resolved_prefix = bool(names & PREFIX_CALLS and toks & CANONICALIZERS)  # realpath, then strncmp/mismatch
        return bool(names & (PATH_CALLS - CANONICALIZERS)) or '".."' in toks or allowed or resolved_prefix
    return allowed


SEARCHES = {"find": 0, "rfind": 0, "strchr": 1, "strrchr": 1, "strstr": 1}  # call -> the needle's position
# needles that make a search a path check (a "..", a separator) whatever else it is
PATH_NEEDLES = {'".."', '"../"', '"/.."', "'/'", '"/"', "'\\\\'", '"\\\\"'}


def position_searches(node) -> set[str]:
    """Names of the searches in ``node`` that look for a literal in a string and are used only so
    (``line.find(':')``, ``strchr(s, '=')``): where a separator is, not whether the string is one
    of a list of good values, so no allow-list test. A search for ".." or "/" stays a path check."""
    found: dict[str, bool] = {}
    for n in node.walk_preorder():
        if n.kind != K.CALL_EXPR or n.spelling not in SEARCHES:
            continue
        args = ast.call_args(n)
        pos = SEARCHES[n.spelling]
        needle = ast.strip(args[pos]) if pos < len(args) else None
        literal = needle is not None and needle.kind in (K.STRING_LITERAL, K.CHARACTER_LITERAL)
        only = literal and ast.text(needle) not in PATH_NEEDLES and (pos == 1 or ast.member_object(n) is not None)
        found[n.spelling] = found.get(n.spelling, True) and only
    return {name for name, only in found.items() if only}


def flag_values(toks: list[str], truth: bool) -> dict[str, tuple[bool, int]]:
    """What condition ``toks`` evaluating to ``truth`` proves of plain integer variables: flag ->
    (equal, value) for ``!error`` (error == 0), ``closed`` (closed != 0), ``state == 2``...; a held
    ``a && b`` or a failed ``a || b`` proves each part, anything else nothing."""
    joiner = "&&" if truth else "||"
    parts, cur, depth = [], [], 0
    for t in toks:
        depth += (t == "(") - (t == ")")
        if depth == 0 and t == joiner:
            parts.append(cur)
            cur = []
        elif depth == 0 and t in ("&&", "||"):
            return {}
        else:
            cur.append(t)
    parts.append(cur)
    out: dict[str, tuple[bool, int]] = {}
    for part in parts:
        while part[:1] == ["("] and part[-1:] == [")"]:
            part = part[1:-1]
        value = {"true": 1, "false": 0}
        if len(part) == 2 and part[0] == "!" and part[1].isidentifier():
            out[part[1]] = (truth, 0)
        elif len(part) == 1 and part[0].isidentifier() and part[0] not in value:
            out[part[0]] = (not truth, 0)
        elif len(part) == 3 and part[1] in ("==", "!=") and part[0].isidentifier():
            k = value.get(part[2], int(part[2]) if part[2].isdigit() else None)
            if k is not None:
                out[part[0]] = ((part[1] == "==") == truth, k)
    return out


def unsigned_compared(cond) -> frozenset[str]:
    """Signed integer variables that stand alone (casts aside) on one side of a ``<``/``<=``/``>``/
    ``>=`` in ``cond`` whose operands are converted to an unsigned type (``i < hist.size()``; both
    operands as clang converts them are unsigned: ``long < 11u`` compares signed)."""
    out = set()
    for c in cond.walk_preorder():
        if c.kind != K.BINARY_OPERATOR or ast.binary_op(c) not in RELATIONAL:
            continue
        sides = ast.children(c)
        if len(sides) != 2 or not all(s.type.get_canonical().kind in ast.UNSIGNED_KINDS for s in sides):
            continue
        for side in sides:
            inner = ast.strip(side)
            kind = inner.type.get_canonical().kind if inner is not None else None
            if kind in ast.INTEGER_KINDS and kind not in ast.UNSIGNED_KINDS and (name := ast.var_name(inner)):
                out.add(name)
    return frozenset(out)
