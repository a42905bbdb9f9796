"""NULL dereference of an allocation/open result or of a NULL assignment (CWE-476, CWE-690).

Fires where a pointer (a variable, a field such as ``d->title`` or an element such as ``m[i]``,
followed within the function that stores the allocation in it, an element until ``i``
changes) that may still hold the result of ``malloc``/``calloc``/``realloc``/``strdup``/
``fopen``/``popen``/``opendir``... (CWE-690), or an explicit ``NULL`` (CWE-476), is
dereferenced (``*p``, ``p[i]``, ``p->f``) or passed to a library function that dereferences that
argument (``strcpy``, ``memcpy``, ``fprintf``'s stream, ``fgets``' buffer and stream, ...), on
some path with no NULL check: no ``if (!p) return;``, ``if (p) {...}``, ``p && ...``, ``assert(p)``
before it. A check *after* the use does not help.

CodeQL counterpart: the nullness checks behind ``cpp/missing-null-test``-style queries
(``cpp/inconsistent-null-check``, the experimental ``DerefNullResult``); CodeQL's default suite
reports few unchecked ``malloc`` results, the study's labels do. A pointer passed to one of the
program's own functions counts as dereferenced where that function dereferences the parameter
with no NULL check of it first (:func:`~seccodegen.judge.dataflow.summaries.deref_params`, to a
fixpoint through further own functions). Deliberate differences: ``new`` never returns NULL
(``new (std::nothrow)`` may, and is a source), the pointer ``strsep(&p, delim)`` advances is a
source (it becomes NULL when ``delim`` is not in the rest of the string: ``key = strsep(&line,
"="); ... strlen(line)`` on a line without ``=``), and ``getenv``/``strchr``-style lookups are not
sources here (their NULL is usually checked by the surrounding logic, and reporting them costs
precision).
"""

from __future__ import annotations

from seccodegen.judge.dataflow import FunctionFacts, ast
from seccodegen.judge.dataflow.models import DEREF_ARGS, NULL_OUT_ARGS
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit


def _location(expr) -> str | None:
    """A field or element that holds the pointer itself (``d->title`` in ``d->title[0]``,
    ``strcpy(d->title, s)``, ``m[i]`` in ``m[i][0]``), whose own NULL-ness is tracked; None for a
    plain variable (its name is the event's)."""
    key = ast.element_key(expr) if expr is not None else None
    return key if key and ("->" in key or "." in key or "[" in key) else None


def _why(origin: str) -> str:
    if origin in NULL_OUT_ARGS:  # left NULL through its argument, not returned
        return f"{origin}() {NULL_OUT_ARGS[origin][1]}"
    return f"result of {origin}{'' if ' ' in origin else '()'}"


def _origin(state, var: str) -> str | None:
    return state.maybe_null.get(var)  # a copy q = p copies p's mark; a check of either clears both


@QUERIES.register("null-deref")
class NullDeref:
    rule = "null-deref"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        hits = []
        for ev in fn.events:
            uses: list[tuple[str, str]] = []
            if ev.kind == "deref" and ev.name:
                uses.append((_location(ev.obj) or ev.name, "dereferenced"))
            elif ev.kind == "call" and ev.name in DEREF_ARGS and ev.obj is None:
                for pos in DEREF_ARGS[ev.name]:
                    if pos < len(ev.args):
                        var = _location(ev.args[pos]) or ast.base_var(ev.args[pos])
                        if var:
                            uses.append((var, f"passed to {ev.name}()"))
            elif ev.kind == "call" and ev.name in fn.deref_params and ev.obj is None:
                for pos in fn.deref_params[ev.name]:  # the file's own function that dereferences it
                    var = ast.var_name(ev.args[pos]) if pos < len(ev.args) else None
                    if var:
                        uses.append((var, f"passed to {ev.name}(), which dereferences it"))
            for var, how in uses:
                origin = _origin(ev.state, var)
                if origin is None:
                    continue
                if origin == "NULL":
                    # a NULL assignment is reported where it reaches unconditionally or under a
                    # test of the pointer itself; under other conditions it is usually correlated
                    # with them (``if (!head) head = n; else tail->next = n;``)
                    if ev.state.guards and not any(var in g.vars for g in ev.state.guards):
                        continue
                    cwes, what = ("CWE-476",), "is NULL"
                else:
                    cwes, what = ("CWE-476", "CWE-690"), f"may be NULL ({_why(origin)})"
                hits.append(Hit(self.rule, cwes, ev.line, ev.column, f"'{var}' {what} when {how} unchecked"))
                break
        return hits
