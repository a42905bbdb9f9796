"""A write index counted up in a loop that stops on the data, never compared with the size
(CWE-787 with CWE-120).

Fires where, inside a loop that stops on the data's content (``src[i] != '\\0'``, ``*p``, ``(c =
getchar()) != EOF``) or on the source's length (``i < strlen(src)``, ``p < end``, ``i < n`` for
an ``n`` no check on the way compares), a write ``buf[j] = v`` / ``buf[j++] = v`` goes into a
buffer whose element count is known (a fixed-size array, a block of known size, or a pointer
parameter with its size parameter: :mod:`.buffer_pairs`) at an index ``j`` that the loop
increases (``j++``, ``++j``, ``j += k``) and that no condition on the way reads, except as a
subscript of another buffer (``src[i]``) or in a test against zero (``if (len > 0) out[len++] =
',';``, the separator before all but the first item): a decoder or copy loop that fills ``dst``
for as long as the source lasts, e.g. a URL decoder given ``dst`` and ``dst_size`` that never
tests ``j < dst_size - 1``. The same through a pointer: ``*out++ = c`` where ``out`` is the sized
parameter or was set from it, or points into a fixed-size array (``char *dst = field; while
(*src && *src != ',') *dst++ = *src++;``); and writes through a pointer parameter that every
call in the file fills with a fixed-size array (``join(out, ...)`` with ``char out[64]``). A
check that any pass of the loop sees counts for the whole loop (``if (j >= dst_size) return
-1;`` at the end of the body), as does any test of the size against
a variable the loop assigns (a count kept beside the pointer, the room left counted down). A
source whose length is known to fit (a string literal copied into a larger buffer) is not
reported, nor a loop that scans the written buffer itself at the index (``name[i] =
tolower(name[i])`` while ``name[i]`` is not the NUL: the index stays in the string).

CodeQL counterparts: ``cpp/unbounded-write`` and ``cpp/overflow-destination`` (range analysis
finds no upper bound of the loop-carried index). Deliberate differences: a loop condition that
compares the index, the buffer, its size, a constant or a value checked elsewhere, and any
condition that reads the index, count as a bound without being proved, as does any comparison
of the size before the loop (``if (strlen(src) >= dst_size)``); loops with ``break`` on a size
test count through that test (a condition that reads the index).
"""

from __future__ import annotations

import functools

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast, values
from seccodegen.judge.dataflow.ast import array_size
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.buffer_pairs import caller_array_sizes, file_index, size_pairs
from seccodegen.judge.dataflow.queries.comparisons import RELATIONS, only_subscripted
from seccodegen.judge.dataflow.queries.index_values import written_offsets
from seccodegen.judge.dataflow.queries.origins import is_integer

K = ci.CursorKind
LOOPS = (K.FOR_STMT, K.WHILE_STMT, K.DO_STMT)


def _index_var(index) -> str | None:
    """``j`` of an index written ``j``, ``j++`` or ``++j``."""
    c = ast.strip(index)
    if c is not None and c.kind == K.UNARY_OPERATOR and ast.unary_op(c) == "++":
        c = ast.strip(ast.children(c)[0]) if ast.children(c) else None
    return ast.var_name(c) if c is not None else None


def _condition(loop):
    """The condition expression of a ``for``/``while``/``do`` (None for ``for (;;)``)."""
    kids = ast.children(loop)
    if loop.kind == K.FOR_STMT:
        return ast.for_parts(loop, kids)[1]
    if loop.kind == K.WHILE_STMT:
        return kids[0] if kids else None
    return kids[-1] if kids else None


def _increments(loop, var: str, parents: dict, bounds_index) -> bool:
    """The loop (its body or its increment) increases ``var`` (``var++``, ``++var``, ``var += k``),
    and no loop between such an increment and ``loop`` (``loop`` included) has a condition that
    ``bounds_index`` (called with the condition's tokens) takes for a bound of the index."""
    found = False
    for n in loop.walk_preorder():
        grows = False
        if n.kind == K.UNARY_OPERATOR and ast.unary_op(n) == "++":
            grows = bool(ast.children(n)) and ast.var_name(ast.children(n)[0]) == var
        elif n.kind == K.COMPOUND_ASSIGNMENT_OPERATOR and ast.binary_op(n) == "+=":
            grows = bool(ast.children(n)) and ast.var_name(ast.children(n)[0]) == var
        if not grows:
            continue
        found = True
        up = n
        while up is not None:
            if up.kind in LOOPS:
                cond = _condition(up)
                if cond is not None and bounds_index(ast.tokens(cond)):
                    return False
            if up == loop:
                break
            up = parents.get(up)
    return found


def _only_nonzero_tests(toks: list[str], var: str) -> bool:
    """Every part of a condition that reads ``var`` tests it against zero only (``len > 0``,
    ``len != 0``, ``!len``, ``if (len)``): a test of whether anything was written yet (the
    separator before all but the first item), not a bound."""
    for part in _and_parts([t for t in toks if t not in ("(", ")")]):
        for sub in " ".join(part).split(" || "):
            words = sub.split()
            if var not in words:
                continue
            if words in ([var], ["!", var]):
                continue
            if len(words) == 3 and words[1] in ("!=", "==") and set(words) - {var} - {words[1]} <= {"0"}:
                continue
            if words in ([var, ">", "0"], [var, ">=", "1"], ["0", "<", var], ["1", "<=", var]):
                continue
            return False
    return True


def _counts_room(ev: Event, var: str, sizes: list[str], assigned: set[str]) -> bool:
    """A condition on the way reads the index other than as a subscript or a test against zero (a
    bound of some kind), or reads the buffer's size, or a value computed from it, together with a
    variable the loop assigns: a count kept beside a pointer (``if (len >= dst_size) return
    -1;``) or the room left (``while (*src && size_left--)``, ``if (size_left == 0)``)."""
    room = set(sizes) | {v for v in assigned if ev.state.related(v) & set(sizes)}
    for g in list(ev.state.guards) + list(ev.state.checks):
        if g.loop:
            continue  # the loops' own conditions are read by _may_bound
        toks = g.text.split()
        if var in toks and not only_subscripted(toks, var) and not _only_nonzero_tests(toks, var):
            return True
        read = g.vars | set(toks)
        if read & room and (read & assigned or not set(sizes) >= read & room):
            return True
    return False


def _room_checked(ev: Event, sizes: list[str]) -> bool:
    """A comparison on the way reads the buffer's size (``if (strlen(src) >= dst_size) return -1;``):
    the room is checked somehow, which this query does not try to prove insufficient."""
    return any(
        not g.loop and set(RELATIONS) & set(g.text.split()) and (g.vars | set(g.text.split())) & set(sizes)
        for g in list(ev.state.guards) + list(ev.state.checks)
    )  # the loops' own conditions are read by _may_bound


def _may_bound(
    fn: FunctionFacts, ev: Event, toks: list[str], *, var: str, limits: frozenset, assigned: set[str]
) -> bool:
    """A loop condition (its tokens) may bound the write index ``var``: it compares something
    (a loop that stops on the data alone does not), and what it compares is the index or a value
    it was computed from, the buffer or its size (``limits``), ``sizeof``, a constant, or a value
    that a check on the way compares too (``if (len >= dst_size) return -1;`` before ``for (i =
    0; i < len; i++)``). Left over: the source's own length (``i < strlen(src)``, ``p < end``),
    which says nothing about the room in the destination, and a held ``a && b`` part that reads
    no variable the loop assigns (``len < size - 1`` where the loop never changes ``len``: true
    on every iteration once true on the first)."""
    parts = _and_parts(toks)
    if len(parts) > 1:
        return any(_may_bound(fn, ev, part, var=var, limits=limits, assigned=assigned) for part in parts)
    names = {t for t in toks if t.isidentifier()}
    st = ev.state
    if any(n in limits or limits & st.related(n) for n in names & assigned):
        return True  # the room counted down in the condition: `while (*src && dst_size--)`
    if not set(RELATIONS) & set(toks):
        return False
    if not names & assigned and not ({"(", "++", "--", "="} & set(toks)):
        return False  # loop-invariant: it cannot end the loop
    if "sizeof" in names or names & (st.related(var) | limits) or any(limits & st.related(n) for n in names):
        return True
    if any(t[:1].isdigit() and t not in ("0", "1") for t in toks):
        return True  # a constant bound, which may keep the index inside a larger buffer
    if any(n in st.consts or n.isupper() or n in file_index(fn.cursor.translation_unit)[1] for n in names):
        return True
    invariant = names - assigned  # what the loop's own counter is compared with
    compared = [
        g for g in list(st.guards) + list(st.checks) if not g.loop and set(RELATIONS) & set(g.text.split())
    ]
    return any(invariant & g.vars or any(g.vars & st.related(n) for n in invariant) for g in compared)


def _and_parts(toks: list[str]) -> list[list[str]]:
    """The top-level ``&&`` parts of a condition (the whole condition when there is none)."""
    parts, depth, cur = [], 0, []
    for t in toks:
        depth += t in ("(", "[")
        depth -= t in (")", "]")
        if depth == 0 and t == "&&":
            parts.append(cur)
            cur = []
        else:
            cur.append(t)
    return [p for p in parts + [cur] if p]


def _enclosing_loop(cursor, parents: dict):
    up = parents.get(cursor)
    while up is not None and up.kind not in LOOPS:
        up = parents.get(up)
    return up


def _source_fits(ev: Event, count: int | None) -> bool:
    """The loop's condition reads a string whose length is known and leaves room in the buffer."""
    if count is None:
        return False
    for g in ev.state.guards:
        if not g.loop:
            continue
        for v in g.vars:
            n = ev.state.strlens.get(v)
            if n is not None and n < count:
                return True
    return False


def _scans_itself(fn: FunctionFacts, ev: Event, loop, base_expr, var: str) -> bool:
    """A condition on the way, or a loop inside ``loop``, reads the written buffer at the index
    (``while (name[i] && name[i] != '\\n') name[i] = tolower(name[i]);``): the index stays within
    the string the buffer holds."""
    element = " ".join(ast.tokens(base_expr)) + f" [ {var} ]"
    if any(element in g.text for g in list(ev.state.guards) + list(ev.state.checks)):
        return True
    return any(
        g.loop and element in g.text
        for other in fn.events
        if ast.within(other.cursor, loop)
        for g in other.state.guards
    )


def _array_pointers(fn: FunctionFacts) -> dict[str, int]:
    """Local pointers whose every assignment is a fixed-size array (``char *dst = field;``) or a
    position in one (``char *p = buf + strlen(buf);``): the smallest such array's element count."""
    sizes: dict[str, list] = {}
    for ev in fn.events:
        if ev.kind != "assign" or not ev.name or not ev.args or ev.name in fn.params:
            continue
        kids = ast.children(ev.cursor)
        lhs = ast.strip(kids[0]) if kids and ev.cursor.kind != K.VAR_DECL else None
        if ev.cursor.kind == K.VAR_DECL or (lhs is not None and lhs.kind == K.DECL_REF_EXPR):
            # the pointer itself, not a write through it (`*dst = c` is an assignment named dst too)
            sizes.setdefault(ev.name, []).append(_array_or_offset_size(ev.args[0]))
    return {v: min(ns) for v, ns in sizes.items() if ns and None not in ns}


def _array_or_offset_size(expr) -> int | None:
    """Element count of the fixed-size array ``expr`` is, or points into at an offset
    (``buf + strlen(buf)``: at most that many elements remain); None for anything else."""
    if expr is None:
        return None
    c = ast.strip(expr)
    if c is not None and c.kind == K.BINARY_OPERATOR and ast.binary_op(c) == "+":
        sides = [array_size(k) for k in ast.children(c)]
        return next((n for n in sides if n), None)
    return array_size(expr)


@QUERIES.register("counted-write")
class CountedWrite:
    rule = "counted-write"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        if not fn.events or fn.cursor is None:
            return []
        writes = written_offsets(fn)
        pairs = size_pairs(fn)
        blocks = {**caller_array_sizes(fn), **_array_pointers(fn)}
        parents = ast.parents(fn.cursor)
        hits: list[Hit] = []
        targets = [
            (ev, t)
            for ev in fn.events
            if ev.loop_depth and ev.kind == "deref" and (t := self._target(ev, writes, pairs, blocks))
        ]
        loop_of = {id(ev): _enclosing_loop(ev.cursor, parents) for ev, _ in targets}
        by_loop = {loop.hash: values.loop_writes(loop)[0] for loop in loop_of.values() if loop is not None}
        assigned = {k: by_loop[loop.hash] if loop is not None else set() for k, loop in loop_of.items()}
        # a test that any pass of the loop walk saw on the way to the write (the second pass sees
        # the `if (j >= size) return -1;` at the end of the body) bounds it on every pass
        done = {  # write sites already reported, or bounded
            ev.cursor.extent.start.offset
            for ev, (var, _, _, sizes, _) in targets
            if _counts_room(ev, var, sizes, assigned[id(ev)])
        }
        for ev, (var, base_expr, count, sizes, shown) in targets:
            loop = loop_of[id(ev)]
            if loop is None or ev.cursor.extent.start.offset in done or _room_checked(ev, sizes):
                continue
            limits = frozenset(sizes) | {ast.var_name(base_expr) if base_expr is not None else var}
            bounds_index = functools.partial(
                _may_bound, fn, ev, var=var, limits=limits, assigned=assigned[id(ev)]
            )

            loops = [g for g in ev.state.guards if g.loop]
            if not loops or any(bounds_index(g.text.split()) for g in loops):
                continue  # not inside a loop that stops on the data, or on the source's length
            if not _increments(loop, var, parents, bounds_index) or _source_fits(ev, count):
                continue
            if base_expr is not None and _scans_itself(fn, ev, loop, base_expr, var):
                continue
            done.add(ev.cursor.extent.start.offset)
            size = str(count) if count is not None else f"'{sizes[0]}'"
            hits.append(Hit(self.rule, ("CWE-787", "CWE-120"), ev.line, ev.column,
                            f"'{shown}' in a loop bounded only by the data: '{var}' grows"
                            f" and is never compared with the buffer's size ({size})"))  # fmt: skip
        return hits

    @staticmethod
    def _target(ev: Event, writes: set[int], pairs: set[tuple[str, str]], blocks: dict[str, int]):
        """(index or pointer variable, buffer expression or None, element count, size variables,
        text) of a write ``buf[j] = v`` into a buffer of known size, or of a write ``*p = v`` /
        ``*p++ = v`` through a pointer parameter ``p`` (or a local pointer set from one) whose
        size is another parameter, or through a pointer of known size (``blocks``: a local one
        only ever set to fixed-size arrays, a parameter every caller fills with one); None for
        anything else."""
        if ev.cursor.extent.start.offset not in writes:
            return None
        if ev.cursor.kind == K.ARRAY_SUBSCRIPT_EXPR and ev.args:
            base_expr = ast.children(ev.cursor)[0]
            var, base = _index_var(ev.args[0]), ast.var_name(base_expr)
            if var is None or not is_integer(ast.strip(ev.args[0])):
                return None
            count = array_size(base_expr) or values.element_count(base_expr, ev.state) or blocks.get(base)
            sizes = sorted(s for b, s in pairs if b == base)
            if count is None and not sizes:
                return None
            return var, base_expr, count, sizes, f"{ast.compact(base_expr)}[{var}]"
        if ev.cursor.kind == K.UNARY_OPERATOR and ev.name:
            pointer = _index_var(ast.children(ev.cursor)[0]) if ast.children(ev.cursor) else None
            if pointer != ev.name:
                return None
            buffers = {pointer} | {v for v in ev.state.related(pointer) if v != pointer}
            sizes = sorted(s for b, s in pairs if b in buffers and s != pointer)
            # or a pointer only ever set to fixed-size arrays (`char *dst = field;`)
            count = None if sizes else blocks.get(pointer)
            if not sizes and count is None:
                return None
            return pointer, None, count, sizes, f"*{pointer}"
        return None
