"""Shared logic of the taint-to-sink queries (path injection, command injection, format strings, HTML).

A sink argument is reported when (a) it may carry input data (``src:`` labels: argv, getenv,
stdin, files, sockets), or (b) it carries a *parameter's* value and was built from it (copied,
formatted or concatenated into another variable: ``snprintf(cmd, .., "ls %s", name)``,
``base + "/" + name``), not passed through unchanged; and no guard of the accepted kinds on the
argument, its aliases or the variables it was built from protects the call. (b) is what makes a
function of a scenario, whose input arrives as parameters, visible; a function that just passes
its parameter on is left to its callers.
"""

from __future__ import annotations

from collections.abc import Callable

from seccodegen.judge.dataflow import Event, FunctionFacts, ast, guarded, guards_of, taint_of
from seccodegen.judge.dataflow.facts import EXTERNAL, PARAM, label_checks, label_source


def arg_variables(arg) -> set[str]:
    """The variables a sink argument names: its base (``buf`` of ``buf + n``, ``d`` of ``d->path``)
    and every variable it reads."""
    return ({ast.base_var(arg)} - {None}) | ast.refs(arg)


def sanitized_by_call(fn: FunctionFacts, ev: Event, arg, calls: set[str], out_arg: int | None = None) -> bool:
    """The argument is computed by, or from a variable assigned from, one of ``calls`` (basename...);
    with ``out_arg``, also when such a call filled a buffer the argument reads through that argument
    position before ``ev`` (``realpath(path, real)``, ``out_arg=1``)."""
    if ast.calls_in(arg) & calls:
        return True
    related = set()
    for v in arg_variables(arg):
        related |= ev.state.related(v)
    for prior in fn.events:
        if prior is ev:
            break
        if prior.kind == "assign" and prior.name in related and prior.args:
            if ast.calls_in(prior.args[0]) & calls:
                return True
        if out_arg is not None and prior.kind == "call" and prior.name in calls and len(prior.args) > out_arg:
            if ast.base_var(prior.args[out_arg]) in related:
                return True
    return False


def unsafe_argument(
    fn: FunctionFacts,
    ev: Event,
    arg,
    guard_kinds: tuple[str, ...],
    param_counts: Callable[[str], bool] | None = None,
    direct_params: bool = False,
) -> str | None:
    """Why ``arg`` of sink event ``ev`` is unsafe ("input" / "parameter 'x'"), or None.
    ``param_counts``: which parameters may make it unsafe (default: all); ``direct_params``: a
    parameter passed through unchanged counts too (a sink whose harm is in the function itself,
    such as printing it into HTML), not only one built into another value."""
    # a value every caller checked as this sink needs (``src:stdin@path``) is not what makes it unsafe
    labels = [lbl for lbl in taint_of(arg, ev.state) if not label_checks(lbl) & set(guard_kinds)]
    external = [label_source(lbl) for lbl in labels if lbl.startswith(EXTERNAL)]
    params = [label_source(lbl)[len(PARAM) :] for lbl in labels if lbl.startswith(PARAM)]
    params = [p for p in params if param_counts is None or param_counts(p)]
    direct = ast.var_name(arg)
    built = direct_params or (direct not in fn.params if direct else ast.strip(arg) is not None)
    if not external and not (params and built):
        return None
    for v in arg_variables(arg):
        if any(guarded(ev, v, kind) for kind in guard_kinds):
            return None
    if external:
        return "input (" + ", ".join(sorted({lbl[len(EXTERNAL) :] for lbl in external})) + ")"
    return "parameter " + ", ".join(f"'{p}'" for p in sorted(params))


def tested_for(ev: Event, arg, character: str) -> bool:
    """Whether a check on the way to ``ev`` tests ``arg`` (its variable, or those it reads) for
    ``character`` (``*p == '%'``, ``strchr(s, '<')``): the one character that makes text a
    format, or markup."""
    quoted = {f"'{character}'", f'"{character}"'}
    for v in arg_variables(arg):
        if any(g.tokens & quoted for g in guards_of(ev, v)):
            return True
    return False
