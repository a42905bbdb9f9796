"""The facts the core computes per function, and the questions queries ask of them.

A :class:`State` is what holds *before* a program point on the paths that reach it: which
variables carry tainted data (and from where), which point to the same memory, which may hold
NULL or freed memory, and which conditions guard the point. An :class:`Event` is one program
point a query may care about (a call, a dereference, an assignment, a return) with that state.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from seccodegen.judge.dataflow import ast
from seccodegen.judge.dataflow.guard_kinds import guard_matches
from seccodegen.judge.dataflow.models import INPUT_STREAMS, NO_PROPAGATION, SOURCE_RETURNS

K = ast.K
EXTERNAL = "src:"  # label prefix of input sources (argv, getenv, stdin, files, sockets)
PARAM = "param:"  # label prefix of a function's parameters
# label suffix for the checks every call in the file made on a value before passing it to the
# file's own function: ``src:stdin@path`` is stdin text that each caller path-checked (``valid_name``)
CHECKED = "@"


def label_checks(label: str) -> frozenset[str]:
    """The check kinds (``path``, ``allowlist``) a label's value passed in every caller."""
    return frozenset(label.split(CHECKED, 1)[1].split(",")) if CHECKED in label else frozenset()


def checked_by_callers(state: State, names, kind: str) -> bool:
    """Every input or parameter label the variables ``names`` carry in ``state`` passed the check
    ``kind`` in every caller (``@lower``, ``@length``: :func:`.call_sites.checks_made`); False
    when they carry none."""
    labels = [lbl for v in names for lbl in state.taint.get(v, frozenset()) if lbl.startswith((EXTERNAL, PARAM))]
    return bool(labels) and all(kind in label_checks(lbl) for lbl in labels)


def label_source(label: str) -> str:
    """``label`` without its checks: ``src:stdin`` of ``src:stdin@path``."""
    return label.split(CHECKED, 1)[0]


def with_checks(label: str, kinds: frozenset[str]) -> str:
    """``label`` marked as having passed ``kinds`` as well as the checks it carries."""
    kinds = kinds | label_checks(label)
    return f"{label_source(label)}{CHECKED}{','.join(sorted(kinds))}" if kinds else label


@dataclass(frozen=True)
class Guard:
    """A condition that held (``truth``) or failed (not ``truth``) on the way to a point."""

    text: str  # the condition's source tokens, space-separated
    tokens: frozenset[str]  # its tokens (with those of the definitions of flags it tests)
    vars: frozenset[str]  # variables it reads (and those they were computed from)
    calls: frozenset[str]  # functions it calls
    truth: bool
    line: int
    loop: bool = False  # the condition of an enclosing loop (``for (i = 0; i < n; i++)``)
    pointers: frozenset[str] = frozenset()  # the condition's own variables of pointer type (``eq`` in ``!eq``)
    # signed variables standing alone on one side of a comparison made in an unsigned type
    # (``i < v.size()``, ``(unsigned)i < n``): a negative one converts to a huge value, so the
    # comparison bounds them below as well as above
    unsigned_compared: frozenset[str] = frozenset()
    # the bodies' tokens of the file's own predicates the condition calls (``!valid_name(name)``):
    # read for path and allow-list checks only (a parser's comparisons bound nothing of its input)
    helper_tokens: frozenset[str] = frozenset()


@dataclass
class State:
    taint: dict[str, frozenset[str]] = field(default_factory=dict)  # var -> labels
    derived: dict[str, frozenset[str]] = field(default_factory=dict)  # var -> vars its value came from
    alias: dict[str, frozenset[str]] = field(default_factory=dict)  # var -> vars sharing its memory
    maybe_null: dict[str, str] = field(default_factory=dict)  # var or field (d->title) -> call (or "NULL") it came from
    freed: dict[str, int] = field(default_factory=dict)  # var -> line of a free of its memory
    guards: tuple[Guard, ...] = ()  # conditions dominating this point (innermost last)
    checks: frozenset[Guard] = frozenset()  # earlier conditions whose failure left the function/loop
    # constant facts that hold on every path (:mod:`.values`): an integer variable's value, the
    # bytes of the block a pointer points to the start of (with where it lives: "stack"/"heap"),
    # the length of the NUL-terminated string a buffer holds, and how many leading bytes of a
    # buffer are known non-zero (``memset(p, 'A', n)``)
    consts: dict[str, int] = field(default_factory=dict)
    sizes: dict[str, tuple[int, str]] = field(default_factory=dict)
    strlens: dict[str, int] = field(default_factory=dict)
    nonzero: dict[str, int] = field(default_factory=dict)
    # C++ containers (:mod:`.containers`): reference/pointer/iterator var -> the container variable
    # whose storage it points into; and such vars that a reallocating call may have left dangling
    # (var -> line of the call)
    borrows: dict[str, str] = field(default_factory=dict)
    invalid: dict[str, int] = field(default_factory=dict)
    # loops this path left because their condition failed: (the condition, as the guard that
    # held inside the loop; the variables the loop assigns), until one of those variables gets a
    # new value (``for (i = 0; i < n; i++) ...`` leaves with ``i == n``)
    left: frozenset[tuple[Guard, frozenset[str]]] = frozenset()
    # the file's own functions that return input they read themselves -> its labels
    # (``summaries.input_returns``): one mapping for the whole walk, shared by every copy
    returns: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # var -> (flag, value): ``var`` was freed on exactly the paths where integer ``flag`` holds
    # ``value`` (``delete[] buf; error = true;``), so a branch that proves otherwise drops it
    freed_when: dict[str, tuple[str, int]] = field(default_factory=dict)
    # the file's own functions that return an element of a table, NULL or a literal, never what
    # their arguments point to (``returns.table_return``): their results carry no argument's labels
    table_returns: frozenset[str] = frozenset()

    def copy(self) -> State:
        return State(dict(self.taint), dict(self.derived), dict(self.alias), dict(self.maybe_null),
                     dict(self.freed), self.guards, self.checks, dict(self.consts), dict(self.sizes),
                     dict(self.strlens), dict(self.nonzero), dict(self.borrows), dict(self.invalid),
                     self.left, self.returns, dict(self.freed_when), self.table_returns)  # fmt: skip

    def aliases(self, var: str) -> frozenset[str]:
        """``var`` and every variable that may point to the same memory."""
        return self.alias.get(var, frozenset()) | {var}

    def share(self, var: str, other: str) -> None:
        """``var`` now points into ``other``'s memory: one alias class (freeing either frees both)."""
        cls = self.aliases(other) | {var}
        for m in cls:
            self.alias[m] = cls - {m}

    def unshare(self, var: str) -> None:
        """``var`` no longer points into the memory of the variables it was aliased with."""
        for m in self.alias.pop(var, frozenset()):
            if m in self.alias:
                self.alias[m] = self.alias[m] - {var}

    def related(self, var: str) -> frozenset[str]:
        """``var``, its aliases and the variables its value was built from (transitively)."""
        out = set(self.aliases(var))
        for v in list(out):
            out |= self.derived.get(v, frozenset())
        for v in list(out):
            out |= self.aliases(v)
        return frozenset(out)


def merge(states: list[State | None]) -> State | None:
    """Join of the states of paths meeting at one point (None = a path that does not continue)."""
    live = [s for s in states if s is not None]
    if not live:
        return None
    out = live[0].copy()
    out.freed_when = _freed_when(live)
    for s in live[1:]:
        for var, labels in s.taint.items():
            out.taint[var] = out.taint.get(var, frozenset()) | labels
        for var, vs in s.derived.items():
            out.derived[var] = out.derived.get(var, frozenset()) | vs
        for var, vs in s.alias.items():
            out.alias[var] = out.alias.get(var, frozenset()) | vs
        for var in set(out.maybe_null) | set(s.maybe_null):
            mine, theirs = out.maybe_null.get(var), s.maybe_null.get(var)
            if mine is None or theirs is None:
                # an explicit NULL is kept only where it holds on every path (must-NULL); an
                # allocation result that is unchecked on some path stays (may-NULL)
                origin = mine or theirs
                if origin == "NULL":
                    out.maybe_null.pop(var, None)
                else:
                    out.maybe_null[var] = origin
            elif mine == "NULL" and theirs != "NULL":
                out.maybe_null[var] = theirs
        for var, line in s.freed.items():
            out.freed.setdefault(var, line)
        for var, container in s.borrows.items():  # may-facts, like freed
            out.borrows.setdefault(var, container)
        for var, line in s.invalid.items():
            out.invalid.setdefault(var, line)
        common = set(s.guards)
        out.guards = tuple(g for g in out.guards if g in common)
        out.checks = out.checks | s.checks
        out.left = out.left | s.left  # a may-fact: some path left the loop that way
        for m in ("consts", "sizes", "strlens", "nonzero"):  # must-facts: equal on every path
            mine, theirs = getattr(out, m), getattr(s, m)
            for var in [v for v in mine if theirs.get(v) != mine[v]]:
                del mine[var]
    return out


def _freed_when(live: list[State]) -> dict[str, tuple[str, int]]:
    """For each pointer freed on some of the ``live`` paths: (flag, value) such that on every path
    that freed it the integer ``flag`` holds ``value`` (``delete[] buf; error = true;``), carried
    from an earlier join or read from the paths' constants (preferring a flag the other paths hold
    another value of). Where that holds, a branch that proves ``flag != value`` has not freed it."""
    out: dict[str, tuple[str, int]] = {}
    for var in {v for s in live for v in s.freed}:
        freeing = [s for s in live if var in s.freed]
        others = [s for s in live if var not in s.freed]
        carried = {s.freed_when.get(var) for s in freeing}
        if len(carried) == 1 and None not in carried:
            out[var] = carried.pop()
            continue
        candidates = []
        for flag in sorted(set.intersection(*(set(s.consts) for s in freeing))):
            values = {s.consts[flag] for s in freeing}
            if len(values) == 1:
                value = values.pop()
                telling = all(s.consts.get(flag) not in (None, value) for s in others)
                candidates.append((not telling, flag, value))
        if candidates:
            _, flag, value = min(candidates)
            out[var] = (flag, value)
    return out


@dataclass(frozen=True)
class Event:
    """One program point: ``kind`` is "call" (``name`` = callee; ``args``; ``obj`` = member call's
    object), "deref" (``*p``, ``p[i]``, ``p->f``; ``name`` = p's variable, ``obj`` = the pointer
    expression, ``args`` = (index,) for ``p[i]``), "assign" (``name`` = target var; ``args`` =
    (value,)), "arith" (``name`` = operator: ``+ - * / % <<``, ``+=``..., ``++``/``--``/unary
    ``-``; ``args`` = operands), "return" (``args`` = (value,) or ()). ``state`` holds before it.
    Loops are walked twice; ``iteration`` (1 or 2) tells which pass saw it, ``loop_depth`` > 0 inside one."""

    kind: str
    name: str
    cursor: object
    line: int
    column: int
    state: State
    args: tuple = ()
    obj: object = None
    iteration: int = 1
    loop_depth: int = 0


@dataclass
class FunctionFacts:
    name: str
    params: tuple[str, ...]
    file: str
    line: int
    events: list[Event]
    cursor: object = None
    # the file's own printf-style wrappers: name -> format parameter positions (summaries.format_params)
    format_wrappers: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # the file's own functions that dereference a pointer parameter unchecked (summaries.deref_params)
    deref_params: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def calls(self, *names: str) -> list[Event]:
        return [e for e in self.events if e.kind == "call" and (not names or e.name in names)]

    def only_value(self, var: str) -> str | None:
        """The text of the one value the function assigns ``var`` (``strlen ( s )`` of ``size_t n =
        strlen(s);``) when it assigns it exactly once, token-spaced as :attr:`body_text`; else None."""
        found = re.findall(rf"\b{re.escape(var)} = ([^;]*) ;", self.body_text)
        return found[0] if len(found) == 1 else None

    @cached_property
    def body_text(self) -> str:
        """The function's source tokens joined by single spaces (``buf . size``), made once and
        shared by the queries that search the whole body; empty without a cursor."""
        return ast.text(self.cursor) if self.cursor is not None else ""


def taint_of(expr, state: State) -> frozenset[str]:
    """Labels of the tainted data ``expr`` may evaluate to (empty: untainted)."""
    c = ast.strip(expr)
    if c is None or ast.is_sizeof(c):
        return frozenset()
    if c.kind == K.DECL_REF_EXPR:
        name = ast.var_name(c)
        return state.taint.get(name, frozenset()) if name else frozenset()
    if c.kind == K.CALL_EXPR:
        name = ast.call_name(c)
        out = frozenset({SOURCE_RETURNS[name]}) if name in SOURCE_RETURNS else frozenset()
        out |= state.returns.get(name, frozenset())
        if name in NO_PROPAGATION or name in state.table_returns:
            return out
        for a in ast.call_args(c):
            out |= taint_of(a, state)
        obj = ast.member_object(c)
        if obj is not None:
            out |= taint_of(obj, state)
        return out
    if c.kind in (K.INTEGER_LITERAL, K.STRING_LITERAL, K.CHARACTER_LITERAL, K.FLOATING_LITERAL, K.LAMBDA_EXPR):
        return frozenset()
    kids = list(c.get_children())
    if c.kind == K.CONDITIONAL_OPERATOR and len(kids) == 3:
        # the value is one of the branches; the condition only picks one (``len < W ? "=" : " "``
        # is a literal whatever ``len`` is): implicit flow is not followed, as in CodeQL's taint
        return taint_of(kids[1], state) | taint_of(kids[2], state)
    out = frozenset()
    for k in kids:
        out |= taint_of(k, state)
    return out


def tainted(expr, state: State, params: bool = False) -> bool:
    """Whether ``expr`` may carry input data (``params=True``: a parameter's value counts too)."""
    return any(lbl.startswith(EXTERNAL) or (params and lbl.startswith(PARAM)) for lbl in taint_of(expr, state))


def guards_of(event: Event, var: str, kind: str = "any", dominating_only: bool = False) -> list[Guard]:
    """The conditions of ``kind`` on ``var`` (its aliases or what it was built from) that protect
    ``event``: those dominating it, plus (unless ``dominating_only``) earlier checks whose failure
    left the function or loop (a validation loop that returns on a bad character)."""
    st = event.state
    rel = st.related(var)
    pool = list(st.guards) + ([] if dominating_only else list(st.checks))
    return [g for g in pool if g.vars & rel and guard_matches(g, kind)]


def guarded(event: Event, var: str, kind: str = "any", dominating_only: bool = False) -> bool:
    """Whether ``event`` is protected by a ``kind`` check on ``var``; for ``"null"`` also true when
    no path to it leaves ``var`` (or an alias) possibly NULL."""
    if kind == "null":
        return var not in event.state.maybe_null
    return bool(guards_of(event, var, kind, dominating_only))


def stream_label(c, st: State) -> frozenset[str]:
    """Labels of data read from stream ``c``: std::cin / an ifstream / a stream over tainted text."""
    if c is None:
        return frozenset()
    t = c.type.get_canonical().spelling
    labels = taint_of(c, st)
    if "basic_istringstream" in t or "basic_stringstream" in t:
        return labels
    for frag, label in INPUT_STREAMS.items():
        if frag in t:
            return labels | {label}
    return labels if labels and "stream" in t else frozenset()
