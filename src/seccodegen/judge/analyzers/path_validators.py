"""The file's own name validators, for ``seccodegen-checks``' ``path-from-input`` rule.

A validator is a function of the file that inspects a parameter the way the rule asks of a path's
parts (``strstr(name, "..")``, ``strchr(name, '/')``, an ``isalnum`` allow-list, ``realpath``...),
opens nothing itself, and fills nothing (a parser that ``sscanf``s into ``req->target`` is none): ``static int valid_note_name(const char *name)``. A parameter counts as
inspected in a function that passes it to a validator (``if (!valid_note_name(name)) return -1;``),
and in a function whose every call in the file passes an argument its caller gave to a validator
(``if (!acceptable_name(name)) return 1; save_upload(name, body);`` makes ``save_upload``'s
``name`` inspected); a parameter every call passes a string literal is no input either
(``restore(base, name, "restored.dat")``). The text is read as written (tree-sitter's function
bodies, no types).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

CALL_ARGS = r"\b{f}\s*\(([^;{{}}]*)\)"
# a parser, not a validator: it reads or copies into memory (sscanf into req->target)...
FILLS = re.compile(r"\b(?:sscanf|fscanf|scanf|memcpy|memmove|strcpy|strncpy|strcat|strncat|sprintf|snprintf|fgets|fread)\s*\(")
# ...or assigns through a parameter (req->tpl[n] = 0, *out = v, p[i] = c); {p}: the parameter
WRITE_THROUGH = r"(?:\b{p}\s*(?:->|\.|\[)[^;=!<>]*|\*\s*{p}\s*)(?<![!<>=])=(?!=)"


def top_level_args(text: str) -> list[str]:
    """``text`` (what is inside a call's parentheses) split at its top-level commas."""
    out, depth, cur = [], 0, []
    for ch in text:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [a.strip() for a in out]


def _first_name(arg: str) -> str | None:
    m = re.match(r"\s*[&*(]*\s*([A-Za-z_]\w*)", arg)
    return m.group(1) if m else None


def _with_sources(names: set[str], params: list[str], body: str) -> set[str]:
    """``names`` and the parameters a local among them was built from (``fs::path src = base /
    name;`` then ``inside_base(src)`` inspects ``name`` too)."""
    out = set(names)
    for n in names:
        for init in re.findall(rf"\b{re.escape(n)}\s*(?:=|\(|\{{)([^;]*);", body):
            out |= {p for p in params if re.search(rf"\b{re.escape(p)}\b", init)}
    return out


def _validators(functions: Sequence[tuple[str, list[str], str]], check: str, action: re.Pattern) -> set[str]:
    """The functions that inspect a parameter as ``check`` (a pattern of parameter ``{p}``) asks
    and do nothing ``action`` matches."""
    return {
        name
        for name, params, body in functions
        if params
        and not action.search(body)
        and not FILLS.search(body)
        and not any(re.search(WRITE_THROUGH.format(p=re.escape(p)), body) for p in params)
        and any(re.search(check.format(p=re.escape(p)), body) for p in params)
    }


def _validator_calls(validators: set[str]) -> re.Pattern:
    return re.compile(CALL_ARGS.format(f=f"(?:{'|'.join(map(re.escape, sorted(validators)))})"))


def screening_functions(functions: Sequence[tuple[str, list[str], str]], check: str, action: re.Pattern) -> set[str]:
    """The functions that call one of the file's validators (``if (!safe_name(job.src)) return 1;``)
    or whose every caller passes them validated values (:func:`validated_params`)."""
    validators = _validators(functions, check, action)
    if not validators:
        return set()
    called = _validator_calls(validators)
    calling = {name for name, _, body in functions if called.search(body)}
    return calling | set(_validated(functions, called))


def validated_params(
    functions: Sequence[tuple[str, list[str], str]], path_check: str, file_api: re.Pattern, caller_check: str = ""
) -> dict[str, set[str]]:
    """Function name -> the parameters it or every one of its callers passes to one of the file's
    validators, or (``caller_check``, a pattern of ``{p}``) checks itself before the call.
    ``functions``: (name, parameters, body); ``path_check``: the rule's pattern of an inspection
    of parameter ``{p}``; ``file_api``: the calls that open or remove files."""
    validators = _validators(functions, path_check, file_api)
    called = _validator_calls(validators) if validators else None
    return _validated(functions, called, caller_check)


def caller_checked_params(functions: Sequence[tuple[str, list[str], str]], check: str) -> dict[str, set[str]]:
    """Function name -> the parameters every one of its callers checks itself as ``check`` (a
    pattern of ``{p}``) asks before passing them (``if (strlen(msg) + 4 > sizeof out) continue;
    format_line(out, msg);``)."""
    return _validated(functions, None, check)


def _validated(
    functions: Sequence[tuple[str, list[str], str]], called: re.Pattern | None, inline: str = ""
) -> dict[str, set[str]]:
    """:func:`validated_params` for the validators whose calls ``called`` matches; with ``inline``
    (a check's pattern of ``{p}``), an argument its caller checks itself counts too
    (``if (strstr(line, "..")) continue; evict(line);``)."""

    def inspected(body: str) -> set[str]:  # every variable a validator call reads
        found = {n for args in called.findall(body) for n in re.findall(r"[A-Za-z_]\w*", args)} if called else set()
        if inline:
            words = set(re.findall(r"[A-Za-z_]\w*", body))
            found |= {w for w in words if re.search(inline.format(p=re.escape(w)), body)}
        return found

    checked_in = {name: _with_sources(inspected(body), params, body) for name, params, body in functions}
    bodies = {name: body for name, _, body in functions}

    def checked_arg(caller: str, arg: str) -> bool:  # the name, or a local built from it (p = dir / name)
        first = _first_name(arg)
        if arg.startswith('"') or first in checked_in[caller]:
            return True
        inits = re.findall(rf"\b{re.escape(first or '')}\s*(?:=|\(|\{{)([^;]*);", bodies[caller]) if first else []
        return bool(inline) and any(set(re.findall(r"[A-Za-z_]\w*", init)) & checked_in[caller] for init in inits)

    out: dict[str, set[str]] = {name: checked_in[name] & set(params) for name, params, _ in functions}
    for name, params, _ in functions:
        if name == "main" or not params:
            continue
        sites = [
            (caller, args)
            for caller, _, body in functions
            if caller != name
            for args in re.findall(CALL_ARGS.format(f=re.escape(name)), body)
        ]
        for i, p in enumerate(params):
            passed = [(caller, a[i] if i < len(a) else "") for caller, a in
                      ((c, top_level_args(args)) for c, args in sites)]  # fmt: skip
            if passed and all(checked_arg(caller, arg) for caller, arg in passed):
                out[name].add(p)
    return {name: ps for name, ps in out.items() if ps}
