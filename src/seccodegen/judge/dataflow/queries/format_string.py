"""Uncontrolled format string (CWE-134): input becomes the format of a printf-style call.

Sinks: the format argument of ``printf``/``fprintf``/``sprintf``/``snprintf``/``syslog``/
``dprintf``/``err``/``warn``..., their ``va_list`` forms (``vprintf``, ``vfprintf``,
``vsnprintf``...) and wide forms, and of the file's own wrappers: a function that passes one of
its parameters unchanged as such a format (``static void log_msg(char *fmt, ...) { va_start(ap,
fmt); vfprintf(stderr, fmt, ap); }``, or ``void show(char *s) { printf(s); }``), found to a
fixpoint by :func:`~seccodegen.judge.dataflow.summaries.format_params`, so the call of the wrapper
is the sink. Sources and the parameter rule: :mod:`.sinks`; a parameter counts only when it is a
string (``char *``, ``char[]``, ``std::string``) built into the format, since a number formatted
into a format (``snprintf(fmt, n, "%%%ds", width)``) cannot add conversions. A wrapper's own
``vfprintf(stream, fmt, ap)`` is left to its callers. Accepted checks: character allow-lists
(``isalnum`` loops, ``strspn``...) and any test of the string for ``'%'`` (``*p == '%'``,
``strchr(s, '%')``).

CodeQL counterpart: ``cpp/tainted-format-string`` (user input to a format argument, through
user-defined formatting functions). Deliberate differences: parameters built into a format count
as sources (the scenarios' functions receive their input as parameters); input another
function read into a global text buffer is followed (:mod:`seccodegen.judge.dataflow.global_inputs`, as
``cpp/tainted-format-string-through-global`` does), input in other globals or returned by the
file's own functions is not. A parameter passed straight to
``printf(s)`` is reported in the callers that pass input to it, not in the function itself
(clang's taint checker and CodeQL's ``cpp/non-constant-format`` look at that call).
"""

from __future__ import annotations

from seccodegen.judge.dataflow import FunctionFacts
from seccodegen.judge.dataflow.models import FORMAT_FUNCTIONS
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.sinks import tested_for, unsafe_argument

# the library's printf family as sinks: name -> format positions (the file's wrappers are added per file)
LIBRARY_SINKS: dict[str, tuple[int, ...]] = {name: (pos,) for name, pos in FORMAT_FUNCTIONS.items()}


def _string_params(fn: FunctionFacts) -> set[str]:
    """The parameters of ``fn`` that hold text: character pointers/arrays and string objects."""
    out = set()
    for p in fn.cursor.get_arguments() if fn.cursor is not None else ():
        t = p.type.spelling
        if ("char" in t and ("*" in t or "[" in t)) or "string" in t:
            out.add(p.spelling)
    return out


@QUERIES.register("tainted-format-string")
class TaintedFormatString:
    rule = "tainted-format-string"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        sinks = LIBRARY_SINKS | fn.format_wrappers
        texts = _string_params(fn)
        hits = []
        for ev in fn.calls(*sinks):
            for pos in sinks[ev.name]:
                if pos >= len(ev.args):
                    continue
                why = unsafe_argument(fn, ev, ev.args[pos], ("allowlist",), param_counts=texts.__contains__)
                if why and not tested_for(ev, ev.args[pos], "%"):
                    own = "" if ev.name in FORMAT_FUNCTIONS else ", which uses it as a printf format"
                    msg = f"{ev.name}() gets a format string built from {why}{own}: use \"%s\" and pass it as an argument"
                    hits.append(Hit(self.rule, ("CWE-134",), ev.line, ev.column, msg))
                    break
        return hits
