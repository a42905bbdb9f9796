"""printf-style formats read as text, for ``seccodegen-checks``: which arguments a call writes
into its buffer as text (``%s``) rather than as a number (``%d``, ``%ld``, ``%zu``...)."""

from __future__ import annotations

import re

from seccodegen.judge.analyzers.path_validators import top_level_args

# one conversion: flags, width, precision, length, and the conversion letter ("%%" is none)
CONVERSION = re.compile(r"%(?!%)[-+ #0']*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|h|ll|l|j|z|t|L)?([a-zA-Z])")
# s?n?printf(buffer, [size,] "format", args...): group 1 = the call, group 2 = the buffer, 3 = the rest
PRINTF_INTO = r"\b(s|sn)printf\s*\(\s*{name}\s*,([^;]*)\)\s*;"


def text_arguments(call: str, rest: str) -> list[str] | None:
    """The arguments of ``sprintf``/``snprintf`` (``call``; ``rest``: what follows the buffer
    inside the parentheses) that a ``%s`` conversion writes, and every argument when the format
    is not a literal; ``*`` widths and precisions take an argument of their own."""
    args = top_level_args(rest)
    if call == "sn":
        args = args[1:]  # the size
    if not args or not args[0].startswith('"'):
        return None
    fmt = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', args[0]))
    out, values = [], args[1:]
    for m in CONVERSION.finditer(fmt):
        stars = m.group(0).count("*")
        values = values[stars:]
        if not values:
            break
        if m.group(1) == "s":
            out.append(values[0])
        values = values[1:]
    return out


def built_from_numbers(name: str, body: str) -> bool:
    """Every statement that builds ``name`` formats it with ``sprintf``/``snprintf`` whose text
    conversions read only string literals and ALL-CAPS constants (``"ls %s | tail -n +%ld",
    LOG_DIR, keep + 1``): what comes from outside enters as digits."""
    builds = re.findall(PRINTF_INTO.format(name=re.escape(name)), body)
    e = re.escape(name)
    if not builds or re.search(
        rf"\b(?:strn?cat|strn?cpy)\s*\(\s*{e}\b|\b{e}\s*\+=|\b{e}\s*(?:=(?!=)|<<)[^;]*(?:\+|<<)|\b{e}\s*\.\s*append\(", body
    ):
        return False  # also built some other way
    for call, rest in builds:
        texts = text_arguments(call, rest)
        if texts is None or not all(t.startswith('"') or re.fullmatch(r"[A-Z][A-Z0-9_]*", t) for t in texts):
            return False
    return True
