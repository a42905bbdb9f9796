"""Cut a raw model continuation down to the completion of one scenario.

``completion_scope: function``: the completion ends where the function that is open at the end
of the prompt closes.

* c / cpp / java: brace depth over prompt + continuation, ignoring braces inside string and
  character literals (incl. C++ raw strings and Java text blocks) and comments. The function's
  body is the outermost open brace at the end of the prompt that does not open a
  class / struct / namespace / enum / union / interface / ``extern "C"`` block or an initializer;
  the cut is just after the ``}`` that closes it (plus the rest of that line if blank).
* python: indentation. The enclosing ``def`` is the last ``def`` line of the prompt that is
  indented less than every non-blank line after it; the cut is before the first non-blank
  logical line of the continuation indented at or below that ``def`` (lines inside brackets,
  strings and backslash continuations do not count).

Either scope also stops at the earliest stop string: :data:`DEFAULT_STOP_STRINGS` for the
language, the scenario's ``stop`` list and, for ``completion_scope: program``, the first line
of a non-empty ``suffix`` (the model started writing what the suffix already provides).
"""

from __future__ import annotations

import re

from seccodegen.scenarios.model import Scenario

# Markers that mean the model has left the program: a closing code fence (chat models) and
# file/turn separators some code models emit as text.
_COMMON_STOPS = ("```", "<file_sep>", "<|file_separator|>", "<|endoftext|>", "<|im_end|>", "<|fim_")
DEFAULT_STOP_STRINGS: dict[str, tuple[str, ...]] = {
    "c": _COMMON_STOPS,
    "cpp": _COMMON_STOPS,
    "java": _COMMON_STOPS,
    "python": _COMMON_STOPS,
}

_CONTAINER_RE = re.compile(r"\b(class|struct|namespace|union|enum|interface|record|extern)\b")
_DEF_RE = re.compile(r"(async\s+)?def\s")


def stop_strings(scenario: Scenario) -> tuple[str, ...]:
    """Every stop string that applies to ``scenario`` (language defaults + its own + suffix line)."""
    stops = list(DEFAULT_STOP_STRINGS.get(scenario.language, _COMMON_STOPS)) + list(scenario.stop)
    if scenario.completion_scope == "program":
        first = next((line for line in scenario.suffix.splitlines() if line.strip()), None)
        if first is not None:
            stops.append("\n" + first)
    return tuple(dict.fromkeys(s for s in stops if s))


def cut_completion(scenario: Scenario, text: str) -> tuple[str, bool]:
    """Cut ``text`` (what the model wrote after ``scenario.prompt``) at the completion's end.

    Returns ``(completion, stopped)``; ``stopped`` is False when no end was found (the
    continuation ran out, e.g. the token limit), in which case ``completion`` is ``text``.
    """
    cuts = [_stop_cut(scenario.prompt, text, stop_strings(scenario))]
    if scenario.completion_scope == "function":
        if scenario.language == "python":
            cuts.append(_python_function_cut(scenario.prompt, text))
        else:
            cuts.append(_brace_function_cut(scenario.prompt, text, scenario.language))
    found = [c for c in cuts if c is not None]
    if not found:
        return text, False
    cut = min(found)
    kept = text[:cut]
    if scenario.language == "python" and kept.strip():
        kept = kept.rstrip() + "\n"  # drop the blank lines before the dedent
    return kept, True


def _stop_cut(prompt: str, text: str, stops: tuple[str, ...]) -> int | None:
    """Index in ``text`` of the earliest stop string (which may start at the end of the prompt)."""
    if not stops:
        return None
    tail = prompt[-(max(len(s) for s in stops) - 1) :] if max(len(s) for s in stops) > 1 else ""
    joined = tail + text
    best = None
    for stop in stops:
        pos = joined.find(stop)
        # a match lying wholly inside the prompt's tail is not the model's doing
        while pos != -1 and pos + len(stop) <= len(tail):
            pos = joined.find(stop, pos + 1)
        if pos != -1:
            idx = max(0, pos - len(tail))
            best = idx if best is None else min(best, idx)
    return best


# ---------------------------------------------------------------------------------------------
# c / cpp / java


def mask_c_like(code: str, language: str) -> str:
    """``code`` with comments and the insides of string/char literals replaced by spaces.

    Same length as ``code`` and newlines kept, so indices and braces in real code line up.
    Unterminated literals/comments (a truncated continuation) run to the end of the text.
    """
    out = list(code)
    n = len(code)
    i = 0

    def blank(start: int, end: int) -> None:
        for k in range(start, min(end, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        ch = code[i]
        nxt = code[i + 1] if i + 1 < n else ""
        if ch == "/" and nxt == "/":
            end = code.find("\n", i)
            end = n if end == -1 else end
            blank(i, end)
            i = end
        elif ch == "/" and nxt == "*":
            end = code.find("*/", i + 2)
            end = n if end == -1 else end + 2
            blank(i, end)
            i = end
        elif language == "java" and code.startswith('"""', i):
            end = _find_unescaped(code, '"""', i + 3)
            blank(i + 3, end)
            i = end + 3
        elif language == "cpp" and ch == "R" and nxt == '"' and not _ident_char_before(code, i):
            m = re.compile(r'R"([^()\\\s]{0,16})\(').match(code, i)
            if m:
                close = ")" + m.group(1) + '"'
                end = code.find(close, m.end())
                end = n if end == -1 else end
                blank(m.end(), end)
                i = end + len(close)
            else:
                i += 1
        elif ch in "\"'":
            if ch == "'" and language == "cpp" and i > 0 and code[i - 1].isalnum() and _in_number(code, i):
                i += 1  # C++14 digit separator: 1'000'000
                continue
            end = _find_unescaped(code, ch, i + 1, stop_at_newline=True)
            blank(i + 1, end)
            i = end + 1
        else:
            i += 1
    return "".join(out)


def _ident_char_before(code: str, i: int) -> bool:
    return i > 0 and (code[i - 1].isalnum() or code[i - 1] == "_")


def _in_number(code: str, i: int) -> bool:
    j = i - 1
    while j >= 0 and (code[j].isalnum() or code[j] == "'"):
        j -= 1
    return code[j + 1].isdigit()


def _find_unescaped(code: str, quote: str, start: int, stop_at_newline: bool = False) -> int:
    """Index of the closing ``quote`` (backslash escapes skipped); len(code) if unterminated."""
    i = start
    n = len(code)
    while i < n:
        if code[i] == "\\":
            i += 2
            continue
        if stop_at_newline and code[i] == "\n":
            return i  # unterminated ordinary literal: stop at the line end
        if code.startswith(quote, i):
            return i
        i += 1
    return n


def _is_function_brace(masked: str, brace: int) -> bool:
    """A ``{`` opens a function body unless its header is a class-like block or an initializer."""
    start = max(masked.rfind(";", 0, brace), masked.rfind("{", 0, brace), masked.rfind("}", 0, brace)) + 1
    header = masked[start:brace].strip()
    if header.endswith(("=", ",", "(")):
        return False  # initializer list / array literal / argument
    is_container = _CONTAINER_RE.search(header) is not None and "(" not in header
    return not is_container


def _brace_function_cut(prompt: str, text: str, language: str) -> int | None:
    masked = mask_c_like(prompt + text, language)
    base = len(prompt)
    stack: list[int] = []  # positions of the open braces
    for i in range(base):
        if masked[i] == "{":
            stack.append(i)
        elif masked[i] == "}" and stack:
            stack.pop()
    prompt_depth = len(stack)
    # depth (stack length) that closing the function returns to; None: no function is open yet
    function_depth = next((d for d, brace in enumerate(stack) if _is_function_brace(masked, brace)), None)
    for i in range(base, len(masked)):
        if masked[i] == "{":
            stack.append(i)
            continue
        if masked[i] != "}":
            continue
        opened = stack.pop() if stack else None
        depth = len(stack)
        if function_depth is not None:
            done = depth <= function_depth
        else:  # the model writes the function: cut when it closes (or a block of the prompt closes)
            done = opened is None or depth < prompt_depth
            done = done or (depth == prompt_depth and _is_function_brace(masked, opened))
        if done:
            end = i + 1
            line_end = masked.find("\n", end)
            if line_end != -1 and not masked[end:line_end].strip():
                end = line_end + 1
            return end - base
    return None


# ---------------------------------------------------------------------------------------------
# python


def python_logical_line_starts(code: str) -> list[int]:
    """Indices where a logical line starts (not inside brackets, strings or after ``\\``)."""
    starts = [0]
    depth = 0
    i = 0
    n = len(code)
    while i < n:
        ch = code[i]
        if ch == "#":
            end = code.find("\n", i)
            i = n if end == -1 else end
            continue
        if ch in "\"'":
            triple = code.startswith(ch * 3, i)
            quote = ch * 3 if triple else ch
            end = _find_unescaped(code, quote, i + len(quote), stop_at_newline=not triple)
            i = end + len(quote) if end < n and code.startswith(quote, end) else end
            continue
        if ch == "\\" and i + 1 < n and code[i + 1] == "\n":
            i += 2
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch == "\n" and depth == 0:
            starts.append(i + 1)
        i += 1
    return starts


def _indent_width(line: str) -> int:
    width = 0
    for ch in line:
        if ch == " ":
            width += 1
        elif ch == "\t":
            width = (width // 8 + 1) * 8
        else:
            break
    return width


def _line_at(code: str, start: int) -> str:
    end = code.find("\n", start)
    return code[start : len(code) if end == -1 else end]


def _enclosing_def_indent(prompt: str) -> int | None:
    """Indent of the ``def`` that encloses the end of the prompt, or None at module level."""
    min_indent = None
    for start in reversed(python_logical_line_starts(prompt)):
        line = _line_at(prompt, start)
        if not line.strip():
            continue
        indent = _indent_width(line)
        if _DEF_RE.match(line.strip()) and (min_indent is None or indent < min_indent):
            return indent
        min_indent = indent if min_indent is None else min(min_indent, indent)
    return None


def _python_function_cut(prompt: str, text: str) -> int | None:
    code = prompt + text
    base = len(prompt)
    def_indent = _enclosing_def_indent(prompt)
    seen_def = False
    for start in python_logical_line_starts(code):
        line = _line_at(code, start)
        content = line.lstrip(" \t")
        if not content:
            continue
        if start + (len(line) - len(content)) < base:
            continue  # the line's code starts in the prompt
        indent = _indent_width(line)
        if def_indent is None:
            # prompt at module level: the first def of the continuation is the function
            if not seen_def and _DEF_RE.match(content):
                seen_def, def_indent = True, indent
            continue
        if indent <= def_indent:
            return max(start, base) - base
    return None
