"""The last or first element of a C++ container that may be empty (CWE-125 read, CWE-124 write).

Fires where ``c.back()``, ``c.front()``, ``c.pop_back()``, ``c.pop_front()``, ``c[c.size() - k]``,
or an iterator ``c.end() - k`` / ``std::prev(c.end())`` that is dereferenced or erased at once
(``line.erase(line.end() - 1, line.end())``; one stored in a variable is left to its uses) runs
on a ``std::string``/``std::vector``/``std::deque`` whose emptiness the input decides (a
parameter, or a container filled from input), with no check of its size on the way: no
``if (c.empty()) return;``, ``!c.empty() && ...``, ``c.size() > 0``, a loop bounded by
``c.size()``, or a test of a length computed from it, dominates the access or left before it;
and no call before it in the function made the container grow (``push_back``, ``append``,
``+=``...). On an empty container these read the byte before the buffer (``back()``,
``c[c.size() - 1]`` is ``c[SIZE_MAX]``) or, for ``pop_back`` on a string, write the terminating
NUL there (libstdc++ sets the length to ``size() - 1`` = ``SIZE_MAX``): what
``while (isspace(line.back())) line.pop_back();`` does to a line of spaces.

CodeQL has no query for a container's preconditions (its ``cpp/unsigned-difference-expression-
compared-zero`` and range analysis cover the ``size() - 1`` arithmetic only); this is the check
libstdc++'s ``_GLIBCXX_ASSERTIONS`` makes at run time, done statically. Deliberate differences:
growth anywhere earlier in the function counts as making the container non-empty (no path
sensitivity for sizes), and containers that are neither parameters nor read from input (a local
built by the function) are not reported.
"""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast
from seccodegen.judge.dataflow.containers import is_container
from seccodegen.judge.dataflow.facts import tainted
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit

K = ci.CursorKind
READ_END = {"back", "front"}
REMOVE_END = {"pop_back", "pop_front"}
SIZE_CALLS = {"empty", "size", "length"}
CONSTRUCTORS = {"vector", "basic_string", "deque"}
READ_ONLY = {"operator[]", "back", "front", "size", "empty", "length", "begin", "end", "cbegin", "cend",
             "data", "c_str", "capacity"}  # fmt: skip
CONSUMERS = {"operator*", "operator->", "erase"}  # calls that touch the element an iterator names
GROWING = {"push_back", "emplace_back", "push_front", "emplace_front", "insert", "emplace", "append",
           "operator+=", "assign", "resize", "operator="}  # fmt: skip


def size_checked(ev: Event, var: str) -> bool:
    """A condition on the way to ``ev`` tests ``var``'s size (``empty()``, ``size()``, ``length()``),
    or a variable computed from ``var`` (``n = s.size(); if (n == 0) return;``)."""
    st = ev.state
    for g in list(st.guards) + list(st.checks):
        if var in g.vars and g.calls & SIZE_CALLS:
            return True
        if any(var in st.derived.get(v, frozenset()) for v in g.vars - {var}):
            return True
    return False


def _container_of(c) -> str | None:
    c = ast.strip(c)
    if c is None or c.kind != K.DECL_REF_EXPR:
        return None
    return ast.var_name(c) if is_container(c) else None


def _end_of(c) -> str | None:
    """The container ``c`` is the end iterator of: ``v.end()``, ``v.cend()``."""
    c = ast.strip(c)
    if c is None or c.kind != K.CALL_EXPR or c.spelling not in ("end", "cend"):
        return None
    return _container_of(ast.member_object(c))


def _before_end(ev: Event, events: list[Event]) -> tuple[str, str, str] | None:
    """(container, the expression, the call that uses it) for ``c.end() - k`` (``k`` a positive
    literal) or ``std::prev(c.end())`` that a call of the same line dereferences or erases
    directly (not through a variable)."""
    k = None
    if ev.name == "operator-" and len(ev.args) == 2:
        k = ast.strip(ev.args[1])
        if k is None or k.kind != K.INTEGER_LITERAL or ast.compact(k) in ("0", "0u", "0U"):
            return None
    elif ev.name != "prev" or not ev.args:
        return None
    var = _end_of(ev.args[0])
    if var is None:
        return None
    text = ast.compact(ev.cursor)
    for use in events:
        if use.kind == "call" and use.line == ev.line and use.name in CONSUMERS and any(
            a is not None and ast.strip(a) is not None and ast.compact(ast.strip(a)) == text for a in use.args
        ):
            end = ast.compact(ast.strip(ev.args[0]))
            return var, f"{end} - {ast.compact(k)}" if ev.name == "operator-" else f"std::prev({end})", use.name
    return None


def _size_minus(index, var: str) -> bool:
    """``index`` is ``var.size() - k`` / ``var.length() - k``."""
    c = ast.strip(index)
    if c is None or c.kind != K.BINARY_OPERATOR or ast.binary_op(c) != "-":
        return False
    left = ast.strip(ast.children(c)[0])
    return (
        left is not None
        and left.kind == K.CALL_EXPR
        and left.spelling in ("size", "length")
        and _container_of(ast.member_object(left)) == var
    )


@QUERIES.register("empty-container-access")
class EmptyContainerAccess:
    rule = "empty-container-access"
    languages = ("cpp",)

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        hits: list[Hit] = []
        grown: set[str] = set()  # containers some earlier call may have made non-empty
        empty: set[str] = set()  # locals constructed empty that nothing has filled since
        reported: set[str] = set()
        for ev in fn.events:
            if ev.kind == "assign" and ev.name:
                value = ast.strip(ev.args[0]) if ev.args and ev.args[0] is not None else None
                if value is not None and value.kind == K.CALL_EXPR and value.spelling in CONSTRUCTORS \
                        and not ast.call_args(value) and is_container(value):  # fmt: skip
                    empty.add(ev.name)
                else:
                    empty.discard(ev.name)
                continue
            if ev.kind != "call":
                continue
            if empty and ev.name not in READ_ONLY:  # filled by a call (getline(in, s), in >> s, fill(v))
                parts = [ev.obj, *ev.args] if ev.obj is not None else list(ev.args)
                empty -= {v for p in parts if p is not None for v in ast.refs(p)}
            hit = self._empty_local(ev, empty - reported)
            if hit:
                reported.add(hit[0])
                hits.append(hit[1])
                continue
            var, what, removes = None, "", ev.name in REMOVE_END  # what: the access as the message shows it
            if ev.obj is not None and ev.name in READ_END | REMOVE_END:
                var = _container_of(ev.obj)
                what = f"{var}.{ev.name}()"
            elif ev.name == "operator[]" and len(ev.args) == 2:
                var = _container_of(ev.args[0])
                if var and not _size_minus(ev.args[1], var):
                    var = None
                what = f"{var}[{ast.compact(ev.args[1])}]"
            elif (before := _before_end(ev, fn.events)) is not None:
                var, what, removes = before[0], before[1], before[2] == "erase"
            if ev.name in GROWING:
                target = _container_of(ev.obj) if ev.obj is not None else None
                if target is None and ev.args and ev.name.startswith("operator"):
                    target = _container_of(ev.args[0])
                if target:
                    grown.add(target)
                continue
            if not var or var in grown or var in reported:
                continue
            if not tainted(ast.strip(ev.obj if ev.obj is not None else ev.args[0]), ev.state, params=True):
                continue
            if size_checked(ev, var):
                continue
            reported.add(var)
            if removes:
                cwes, effect = ("CWE-124", "CWE-787"), "writes before the start of its buffer"
            else:
                cwes, effect = ("CWE-125",), "reads outside its buffer"
            hits.append(Hit(self.rule, cwes, ev.line, ev.column,
                            f"'{what}' {effect} when '{var}' "
                            "is empty, and nothing on the way checks its size"))  # fmt: skip
        return hits

    def _empty_local(self, ev: Event, empty: set[str]) -> tuple[str, Hit] | None:
        """An element of a local container that was constructed empty and never filled:
        ``std::vector<Point> pts; for (i = 0; i < n; ++i) in >> pts[i].x;`` writes past its end."""
        if ev.name == "operator[]" and len(ev.args) == 2:
            var, what = _container_of(ev.args[0]), f"[{ast.compact(ev.args[1])}]"
        elif ev.obj is not None and ev.name in READ_END | REMOVE_END:
            var, what = _container_of(ev.obj), f".{ev.name}()"
        else:
            return None
        if var not in empty:
            return None
        cwes = ("CWE-129", "CWE-124", "CWE-787") if ev.name in REMOVE_END else ("CWE-129", "CWE-787", "CWE-125")
        return var, Hit(self.rule, cwes, ev.line, ev.column,
                        f"'{var}{what}' reads or writes '{var}', which is empty here: it was constructed empty and "
                        "nothing added elements (resize or push_back first)")  # fmt: skip
