"""Dataflow core for C and C++ on clang's AST (libclang): per-function def-use, aliases, taint, guards.

Queries (one module each under ``judge/dataflow/queries/``) are built on three calls::

    from seccodegen.judge.dataflow import analyze_translation_unit, tainted, guarded

    for fn in analyze_translation_unit("prog.c", "c", flags=("-Iinclude",)):
        for ev in fn.calls("system", "popen"):          # every call event, in execution order
            arg = ev.args[0]
            if tainted(arg, ev.state) and not guarded(ev, base_var(arg) or "", "allowlist"):
                ...                                       # report at ev.line / ev.column

* :func:`analyze_translation_unit` parses the file (missing headers tolerated) and walks each
  function defined in it (:mod:`.interp`), returning :class:`FunctionFacts` whose ``events``
  are the calls, dereferences (``*p``, ``p[i]``, ``p->f``), assignments and returns in execution
  order (loop bodies twice), each with the :class:`State` holding just before it.
* ``State``: ``taint`` (var -> labels: ``src:<input function>``, ``src:argv``, ``param:<name>``),
  ``derived`` (var -> the variables its value was computed from), ``alias`` (pointers to the
  same memory: ``q = p``, ``q = p + n``, ``q = buf``), ``maybe_null`` (var -> allocation/open
  call or ``NULL`` it may still hold on some path), ``freed`` (var -> line of a ``free``/
  ``delete``/``fclose`` of its memory on some path), ``guards`` (conditions dominating the
  point) and ``checks`` (earlier conditions whose failing branch left: validation loops).
* :func:`tainted` / :func:`taint_of`: an expression's taint (through assignments, aliases,
  ``strcpy``/``strcat``/``sprintf``/``memcpy``/``std::string`` ops, arithmetic and any call's
  arguments, except comparisons and ctype tests). :func:`guarded`: is a point protected by a
  check of a kind (``bounds``, ``null``, ``path``, ``allowlist``, ``any``) on a variable, its
  aliases or the variables it was built from.

What is modelled, precisely, and what not: docs/judge.md, "Dataflow core".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from seccodegen.judge.dataflow import frontend
from seccodegen.judge.dataflow.ast import base_var, call_args, refs
from seccodegen.judge.dataflow.facts import (
    Event,
    FunctionFacts,
    Guard,
    State,
    guarded,
    guards_of,
    taint_of,
    tainted,
)  # fmt: skip

__all__ = [
    "Event", "FunctionFacts", "Guard", "State", "analyze_translation_unit", "base_var", "call_args",
    "guarded", "guards_of", "refs", "taint_of", "tainted",
]  # fmt: skip


def analyze_translation_unit(
    path: str | Path, language: str, flags: Sequence[str] = (), failures: list[str] | None = None
) -> list[FunctionFacts]:
    """Facts for every function defined in ``path`` (``language`` "c" or "cpp"), in source order.

    With a ``failures`` list, a function the walk raises on gets no events (queries see nothing
    of it) and the error is described there; without one, the exception propagates."""
    from seccodegen.judge.dataflow.call_sites import (
        MAX_INPUT_ROUNDS,
        checked_number_params,
        checked_text_params,
        input_params,
        value_params,
    )
    from seccodegen.judge.dataflow.global_inputs import global_text_buffers, global_text_inputs, readers
    from seccodegen.judge.dataflow.interp import walk_function
    from seccodegen.judge.dataflow.predicates import check_tokens
    from seccodegen.judge.dataflow.queries.ranges import macro_values
    from seccodegen.judge.dataflow.returns import (
        constant_return,
        never_returns,
        returns_null,
        returns_unchecked_allocation,
        table_return,
    )
    from seccodegen.judge.dataflow.summaries import (
        OwnFunctions,
        deref_params,
        format_params,
        global_effects,
        input_returns,
        input_writes,
        own_frees,
    )

    tu = frontend.parse(path, language, flags)
    fns = list(frontend.main_file_functions(tu))
    globals_used = {fn.spelling: global_effects(fn) for fn in fns}
    param_frees, field_frees = own_frees(fns)
    known = OwnFunctions(
        no_return=frozenset(fn.spelling for fn in fns if never_returns(fn)),
        null_returning=frozenset(fn.spelling for fn in fns if returns_null(fn)),
        param_frees=param_frees,
        field_frees=field_frees,
        global_stores={name: g[0] for name, g in globals_used.items() if g[0]},
        global_frees={name: g[1] for name, g in globals_used.items() if g[1]},
        check_tokens={fn.spelling: toks for fn in fns if (toks := check_tokens(fn)) is not None},
        constant_returns={fn.spelling: k for fn in fns if (k := constant_return(fn)) is not None},
        table_returns=frozenset(fn.spelling for fn in fns if table_return(fn)),
    )
    wrappers = format_params(fns)

    inputs: dict[str, dict[str, frozenset[str]]] = {}  # function -> parameter -> input labels
    checked: dict[str, frozenset[str]] = {}  # function -> numbers every call passes in range
    texts: dict[str, dict[str, frozenset[str]]] = {}  # function -> text parameter -> checks every call made

    def walk(fn) -> FunctionFacts:
        params = tuple(p.spelling for p in fn.get_arguments() if p.spelling)
        argv = params[1:] if fn.spelling == "main" else ()
        plain = (
            tuple(p for p in params if p not in checked.get(fn.spelling, ())) if fn.spelling != "main" else ()
        )
        try:
            events = walk_function(fn, plain, argv, known, inputs.get(fn.spelling), texts.get(fn.spelling))
        except Exception as exc:  # noqa: BLE001 - one function's walk must not hide the others'
            if failures is None:
                raise
            failures.append(f"walk of {fn.spelling}(): {type(exc).__name__}: {exc}"[:300])
            events = []
        return FunctionFacts(fn.spelling, params, str(path), fn.location.line, events, fn, wrappers)

    def callers_of(names: set[str]) -> set[str]:
        return {f.name for f in out if {e.name for e in f.calls()} & names}

    out = [walk(fn) for fn in fns]
    macros = macro_values(str(path))  # the file's #defines: the bounds in its callers' checks
    checked = checked_number_params(out, fns, macros)
    texts = checked_text_params(out, fns)
    if checked or texts:
        out = [walk(fn) if fn.spelling in checked or fn.spelling in texts else f for fn, f in zip(fns, out)]
    # own functions that hand back an allocation they did not check may return NULL too: their
    # callers are walked again knowing it (one round; a helper of a helper is not followed)
    more = frozenset(f.name for f in out if returns_unchecked_allocation(f)) - known.null_returning
    if more:
        known = replace(known, null_returning=known.null_returning | more)
        redo = callers_of(set(more))
        out = [walk(fn) if f.name in redo else f for fn, f in zip(fns, out)]
    # parameters a call in the file passes input to carry it (main reads argv, a helper adds to
    # it), and own functions that read input return it or store it through a parameter: the
    # functions concerned are walked again until nothing changes, at most MAX_INPUT_ROUNDS times
    own = {fn.spelling: value_params(fn) for fn in fns if fn.spelling != "main"}
    for _ in range(MAX_INPUT_ROUNDS):
        gained = input_params(out, own, inputs, macros)
        returns, writes = input_returns(out, inputs), input_writes(out, inputs)
        changed = {
            name for name in set(returns) | set(writes) | set(known.returns_input) | set(known.writes_input)
            if returns.get(name) != known.returns_input.get(name) or writes.get(name) != known.writes_input.get(name)
        }  # fmt: skip
        known = replace(known, returns_input=returns, writes_input=writes)
        redo = gained | callers_of(changed)
        if not redo:
            break
        out = [walk(fn) if f.name in redo else f for fn, f in zip(fns, out)]
    # text one function reads into a global buffer reaches the others' text sinks (one round)
    held = global_text_inputs(out, global_text_buffers(tu))
    if held:
        known = replace(known, global_inputs=held)
        redo = readers(fns, held)
        out = [walk(fn) if f.name in redo else f for fn, f in zip(fns, out)]
    derefs = deref_params(out)
    for f in out:
        f.deref_params = derefs
    return out
