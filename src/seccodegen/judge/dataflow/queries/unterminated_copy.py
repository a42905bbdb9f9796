"""A bounded copy that fills a fixed-size character array to the last byte and leaves it without a
terminating NUL (CWE-170, under CWE-119).

Fires on ``strncpy(dst, src, sizeof dst)``, ``memcpy(dst, src, N)``, ``std::copy_n(src, N, dst)``
(and ``stpncpy``/``memmove``/``wcsncpy``) where ``dst`` is a fixed-size array of ``N`` ``char`` or ``wchar_t`` elements (an ``unsigned char``
array holds bytes, not a string), the
count is that whole size, ``src`` is a parameter's or the input's string (not a literal), and no
later statement of the function writes a terminator into ``dst`` (``dst[N - 1] = '\\0'``); also
``strncpy(out, src, out_size)`` into a ``char`` pointer parameter whose size parameter the file
pairs with it (buffer_pairs.py: a caller passes a fixed-size array and its size), where no
condition on the way reads the size (a length check against it leaves room for the NUL). When
``src`` has ``N`` or more characters, the array holds no NUL, and the next ``printf("%s")``,
``strlen`` or ``std::string(dst)`` reads past its end into whatever follows (in a struct, the next
field). ``memcpy`` of a whole ``N`` from a shorter string also reads past the source.

CodeQL counterpart: ``cpp/improper-null-termination`` reports the later read of such a buffer;
this query reports the copy that leaves it so. Deliberate differences: the copy is reported
where it happens (the reads are usually in another function), and a terminator written anywhere
later in the function counts, on any path.
"""

from __future__ import annotations

import re

import clang.cindex as ci

from seccodegen.judge.dataflow import FunctionFacts, ast, values
from seccodegen.judge.dataflow.ast import array_type
from seccodegen.judge.dataflow.facts import tainted
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.buffer_pairs import size_pairs

K = ci.CursorKind
T = ci.TypeKind
# element types of a text buffer: plain char (either signedness) and wchar_t, not unsigned char
# or uint8_t, whose arrays hold bytes that nothing reads as a string
TEXT_ELEMENTS = {T.CHAR_S, T.CHAR_U, T.SCHAR, T.WCHAR}
# call -> (destination, source, count) positions
BOUNDED_COPIES = {
    "strncpy": (0, 1, 2), "stpncpy": (0, 1, 2), "wcsncpy": (0, 1, 2), "memcpy": (0, 1, 2), "memmove": (0, 1, 2),
    "copy_n": (2, 0, 1),
}  # fmt: skip
# reads of raw input: call -> (destination, count) positions (fread's element size must be 1)
READS = {"fread": (0, 2), "read": (1, 2), "recv": (1, 2)}


def _terminated_later(fn: FunctionFacts, after, dest_text: str) -> bool:
    """A later assignment writes into ``dest`` by index (``dst[n - 1] = '\\0'``, ``dst[len] = 0``)."""
    seen = False
    for ev in fn.events:
        if ev is after:
            seen = True
            continue
        if not seen or ev.kind != "assign" or ev.cursor.kind != K.BINARY_OPERATOR:
            continue
        target = ast.strip(ast.children(ev.cursor)[0])
        if target is not None and target.kind == K.ARRAY_SUBSCRIPT_EXPR:
            if ast.text(ast.children(target)[0]) == dest_text:
                return True
    return False


@QUERIES.register("unterminated-copy")
class UnterminatedCopy:
    rule = "unterminated-copy"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        hits: list[Hit] = []
        for ev in fn.events:
            if ev.kind == "call" and ev.name in READS and ev.obj is None:
                hit = _read_to_the_end(fn, ev)
                if hit:
                    hits.append(hit)
                continue
            if ev.kind != "call" or ev.name not in BOUNDED_COPIES or ev.obj is not None:
                continue
            d, s, n = BOUNDED_COPIES[ev.name]
            if len(ev.args) <= max(d, s, n) or any(ev.args[i] is None for i in (d, s, n)):
                continue
            dest, src = ast.strip(ev.args[d]), ast.strip(ev.args[s])
            size = _whole_size(fn, ev, dest, ast.strip(ev.args[n]))
            if size is None:
                continue
            if src is None or src.kind == K.STRING_LITERAL or not tainted(src, ev.state, params=True):
                continue
            if _terminated_later(fn, ev, ast.text(dest)):
                continue
            hits.append(Hit(self.rule, ("CWE-170", "CWE-119"), ev.line, ev.column,
                            f"{ev.name}() fills all {size} elements of '{ast.compact(dest)}' from a string that may "
                            "be as long, leaving no terminating NUL; nothing writes one after it"))  # fmt: skip
        return hits


def _read_to_the_end(fn: FunctionFacts, ev) -> Hit | None:
    """``fread(buf, 1, sizeof buf, f)`` / ``read(fd, buf, size)`` that may fill a text buffer to its
    last byte: then either nothing terminates it (the next ``%s`` or ``strchr`` reads past it:
    CWE-170) or the terminator goes at the count read, ``buf[n] = '\\0'``, which is the size
    itself when the read filled it (one past the end: CWE-193)."""
    d, n = READS[ev.name]
    if len(ev.args) <= max(d, n) or ev.args[d] is None or ev.args[n] is None:
        return None
    if ev.name == "fread" and values.const_value(ev.args[1], ev.state) != 1:
        return None
    dest = ast.strip(ev.args[d])
    size = _whole_size(fn, ev, dest, ast.strip(ev.args[n]))
    if size is None:
        return None
    shown = ast.compact(dest)
    if not _terminated_later(fn, ev, ast.text(dest)):
        if not _read_as_text(fn, ev, ast.text(dest)):
            return None  # fwrite(buf, 1, n, stdout): bytes with their count, never a string
        return Hit("unterminated-copy", ("CWE-170", "CWE-125"), ev.line, ev.column,
                   f"{ev.name}() may fill all {size} bytes of '{shown}' with no terminating NUL, and nothing "
                   "writes one after it: reading it as a string runs past its end")  # fmt: skip
    if _terminated_at_count(fn, ev, ast.text(dest)):
        return Hit("unterminated-copy", ("CWE-193", "CWE-787"), ev.line, ev.column,
                   f"{ev.name}() may fill all {size} bytes of '{shown}': the NUL written at the count it "
                   "returns then lands one past the end (read one byte less)")  # fmt: skip
    return None


# calls that take a buffer with its byte count: what they read of it ends at the count
BYTE_CALLS = {"fwrite", "write", "send", "sendto", "memcpy", "memmove", "memcmp", "memchr", "memset", "fread",
              "read", "recv", "SHA256_Update", "MD5_Update", "crc32", "fclose", "close"}  # fmt: skip


def _read_as_text(fn: FunctionFacts, read, dest_text: str) -> bool:
    """Another call than ``read`` takes the buffer and is not one of ``BYTE_CALLS``
    (``printf("%s", buf)``, ``strchr(buf, '\n')``, ``parse(buf)``): it may read it as a string."""
    for ev in fn.events:
        if ev.kind != "call" or ev is read or ev.name in BYTE_CALLS:
            continue
        if ev.cursor.extent == read.cursor.extent:
            continue  # the same read, seen again on the loop's second pass
        if any(a is not None and ast.text(ast.strip(a) or a) == dest_text for a in ev.args):
            return True
    return False


def _terminated_at_count(fn: FunctionFacts, read, dest_text: str) -> bool:
    """After ``read``, the terminator is written at the variable that holds its result
    (``n = read(...); ... buf[n] = '\\0';``) and no condition on the way bounds that variable
    by anything below the size (``if (n <= 0) return;`` bounds it below only)."""
    result = next((ev.name for ev in fn.events if ev.kind == "assign" and ev.args and ev.args[0] is not None
                   and ast.strip(ev.args[0]) is not None and ast.strip(ev.args[0]).extent == read.cursor.extent), None)  # fmt: skip
    if result is None:
        return False
    for ev in fn.events:
        if ev.kind != "assign" or ev.cursor.kind != K.BINARY_OPERATOR or ev.line < read.line:
            continue
        target = ast.strip(ast.children(ev.cursor)[0])
        if target is None or target.kind != K.ARRAY_SUBSCRIPT_EXPR or ast.text(ast.children(target)[0]) != dest_text:
            continue
        index = ast.children(target)[1] if len(ast.children(target)) > 1 else None
        if ast.var_name(index) == result:
            upper = [g for g in list(ev.state.guards) + list(ev.state.checks)
                     if result in g.text.split() and any(op in g.text.split() for op in ("<", ">", "<=", ">="))
                     and not re.search(rf"{re.escape(result)} (?:<=|<) 0\b|\b0 (?:>=|>) {re.escape(result)}", g.text)]  # fmt: skip
            return not upper
    return False


def _whole_size(fn: FunctionFacts, ev, dest, count) -> str | None:
    """How many elements the text buffer ``dest`` holds, described, when the copy's ``count`` is
    all of them; else None. ``dest`` is a fixed-size ``char``/``wchar_t`` array and the count its
    constant size, or a ``char`` pointer the file pairs with a size variable (buffer_pairs.py:
    the callers pass a fixed-size array and its size) and the count that variable, with no
    condition on the way that reads it (``if (strlen(src) >= out_size) return -1;`` leaves room)."""
    array = array_type(dest)
    if array is not None:
        if array.element_type.get_canonical().kind not in TEXT_ELEMENTS:  # unsigned char ones hold bytes
            return None
        value = values.const_value(count, ev.state)
        if value is not None and ev.name.startswith("mem"):
            value //= array.element_type.get_size()  # bytes -> elements
        return str(array.get_array_size()) if value == array.get_array_size() else None
    pointer, size = ast.var_name(dest), ast.var_name(count)
    canon = dest.type.get_canonical() if dest is not None else None
    if not pointer or not size or canon is None or canon.kind != T.POINTER:
        return None
    if canon.get_pointee().get_canonical().kind not in TEXT_ELEMENTS or (pointer, size) not in size_pairs(fn):
        return None
    if any(size in g.vars or size in g.text.split() for g in ev.state.guards + tuple(ev.state.checks)):
        return None
    return f"'{size}'"
