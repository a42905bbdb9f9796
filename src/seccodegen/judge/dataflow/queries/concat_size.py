"""Strings joined into a block sized for fewer of them (CWE-131 with CWE-122/787).

Fires where a block is allocated with a byte count that adds string lengths and constants
(``malloc(strlen(first) + 1)``, ``malloc(strlen(a) + strlen(b) + 1)``, ``n = strlen(s);
malloc(n + 2)``) and the ``strcpy``/``strcat`` calls that then fill it, in order, write

* a string whose length the count does not include (``strcat(name, last)`` into a block sized
  for ``first`` alone), or
* more literal bytes, with the terminating NUL, than the count's constants hold
  (``strcpy(p, a); strcat(p, " "); strcat(p, b);`` into ``strlen(a) + strlen(b) + 1``: the
  separator takes the NUL's byte).

Every write is followed the way the C library counts it: ``strcpy`` starts the string again,
``strcat`` appends. A fill that is not one of these calls with a literal or a plain variable
(``sprintf``, an expression, a call inside a loop the allocation is not in), or a length term
left over (another string that may be empty or not), stops the query: the sizes it cannot add
up are never reported.

CodeQL counterpart: ``cpp/overflow-destination`` / ``cpp/very-likely-overrunning-write``, whose
range analysis of ``strlen`` results bounds each copy; CodeQL reports the case where the
source's size is known to exceed the destination's. This query adds up the lengths instead.
"""

from __future__ import annotations

import re
from collections import Counter

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast, values
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit

K = ci.CursorKind
FILLS = {"strcpy", "strcat"}
# calls that read the block and leave it as it is
READS = {"strlen", "puts", "fputs", "strcmp", "strncmp", "strchr", "strrchr", "strstr", "strdup"}
CONCAT = ("CWE-131", "CWE-122", "CWE-787")


def _length_terms(size, fn: FunctionFacts) -> tuple[Counter, int] | None:
    """(strings whose ``strlen`` the count adds, constant bytes) of an allocation's byte count
    that is a sum of ``strlen(x)`` calls, variables set to one, and integer literals."""
    toks = ast.tokens(size)
    strings: Counter = Counter()
    constant = 0
    i = 0
    while i < len(toks):
        t = toks[i]
        if t == "strlen" and toks[i + 1 : i + 2] == ["("] and toks[i + 3 : i + 4] == [")"]:
            strings[toks[i + 2]] += 1
            i += 4
        elif t.isdigit():
            constant += int(t)
            i += 1
        elif t.isidentifier() and (target := _strlen_of(t, fn)):
            strings[target] += 1
            i += 1
        else:
            return None
        if i < len(toks):
            if toks[i] != "+":
                return None
            i += 1
    return (strings, constant) if strings else None


def _strlen_of(var: str, fn: FunctionFacts) -> str | None:
    """The string a variable is set to the length of, once and only so (``n = strlen(s);``)."""
    value = fn.only_value(var)
    found = re.fullmatch(r"strlen \( (\w+) \)", value) if value is not None else None
    return found.group(1) if found else None


def _fills(fn: FunctionFacts, alloc: Event) -> list[Event] | None:
    """The ``strcpy``/``strcat`` calls into the allocated pointer after ``alloc``, until it is
    assigned again; None where some other write, or one in a loop the allocation is not in."""
    out, after = [], False
    for ev in fn.events:
        if ev is alloc:
            after = True
            continue
        if not after or ev.iteration != 1:
            continue
        if ev.kind == "assign" and ev.name == alloc.name:
            break
        if ev.kind != "call" or not ev.args or ast.base_var(ev.args[0]) != alloc.name:
            continue
        if ast.var_name(ev.args[0]) != alloc.name:
            return None  # a write at an offset (sprintf(p + len, ...)): not added up
        if ev.name in READS:
            continue
        if ev.name == "free":
            break
        if ev.name not in FILLS or len(ev.args) != 2 or ev.loop_depth > alloc.loop_depth:
            return None
        out.append(ev)
    return out


def _is_literal(arg) -> bool:
    return ast.strip(arg) is not None and ast.strip(arg).kind == K.STRING_LITERAL


@QUERIES.register("concat-past-allocation")
class ConcatPastAllocation:
    rule = "concat-past-allocation"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        if "strcat" not in fn.body_text:
            return []
        hits = []
        for ev in fn.events:
            if ev.kind != "assign" or not ev.name or not ev.args or ev.iteration != 1:
                continue
            call = ast.strip(ev.args[0])
            if call is None or call.kind != K.CALL_EXPR or ast.call_name(call) != "malloc":
                continue
            terms = _length_terms(ast.call_args(call)[0], fn) if ast.call_args(call) else None
            fills = _fills(fn, ev) if terms else None
            if fills:
                shown = ast.compact(ast.call_args(call)[0]).replace(" ( ", "(").replace(" )", ")")
                hit = self._overrun(ev.name, shown, terms, fills)
                if hit:
                    hits.append(hit)
        return hits

    def _overrun(self, block: str, size: str, terms: tuple[Counter, int], fills: list[Event]) -> Hit | None:
        strings, constant = terms
        held: Counter = Counter()
        literal = 0
        for ev in fills:
            if ev.name == "strcpy":
                held, literal = Counter(), 0
            arg = ev.args[1]
            length = values.string_length(arg, ev.state) if _is_literal(arg) else None
            if length is not None:
                literal += length
            elif (name := ast.var_name(arg)) is not None:
                held[name] += 1
            else:
                return None
            extra = held - strings
            if extra:
                msg = f"'{ev.name}' writes '{next(iter(extra))}' into '{block}', sized '{size}' without its length"
                return Hit(self.rule, CONCAT, ev.line, ev.column, msg)
            if not strings - held and literal + 1 > constant:
                msg = (f"'{block}' ({size} bytes) gets its strings, {literal} more byte{'s' * (literal != 1)} and the "
                       f"terminating NUL: {literal + 1 - constant} past the end")  # fmt: skip
                return Hit(self.rule, CONCAT, ev.line, ev.column, msg)
        return None
