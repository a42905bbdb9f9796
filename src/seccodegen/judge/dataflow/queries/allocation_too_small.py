"""Memory allocated for fewer bytes than the pointer's type needs (CWE-131, CWE-122, CWE-787).

Fires where the result of ``malloc``/``calloc``/``realloc`` is stored in a pointer to a type of
more than one byte (``int *``, ``struct rec *``) and

* the size is a constant smaller than the type (``struct rec *r = malloc(8)`` for a 36-byte
  struct) or not a multiple of it (``int *a = malloc(10)``); or
* the size is a string's length alone (``malloc(strlen(s))``, ``new char[strlen(s)]``) and a whole string is then copied
  into the block (``strcpy``, ``strcat``, ``sprintf``): no byte for the terminating NUL; or
* the size is an element count used as a byte count: a variable expression with no ``sizeof``
  and no multiplication, none of whose variables was assigned one either, that also bounds an
  index of the pointer (``int *v = malloc(n); for (i = 0; i < n; i++) v[i] = ...`` writes
  ``4 * n`` bytes into ``n``).

CodeQL counterparts: ``cpp/allocation-too-small`` and ``cpp/suspicious-allocation-size``, which
evaluate constant sizes only, and ``cpp/no-space-for-terminator``; the element-count form is this query's own (the same weakness with a
size known only at run time). Deliberate differences: a struct whose last member is a flexible
array (``char data[]``) is left alone (its allocations add the data's bytes to the struct's).
"""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import Event, FunctionFacts, ast, values
from seccodegen.judge.dataflow.queries.base import QUERIES, Hit
from seccodegen.judge.dataflow.queries.origins import Origins

K = ci.CursorKind
T = ci.TypeKind
# allocation -> (position of the byte count, position of a count it is multiplied by, or None)
ALLOCATIONS = {"malloc": (0, None), "calloc": (1, 0), "realloc": (1, None)}
LENGTHS = {"strlen", "wcslen", "size", "length"}
# copies that write a whole NUL-terminated string into their first argument
STRING_WRITES = {"strcpy", "strcat", "stpcpy", "wcscpy", "wcscat", "sprintf", "vsprintf"}


def _allocation(expr):
    """The allocation call ``expr`` is (through casts and parentheses), or None."""
    c = ast.strip(expr)  # explicit casts too: (struct rec *)malloc(n)
    if c is not None and c.kind == K.CALL_EXPR and ast.call_name(c) in ALLOCATIONS:
        return c
    return None


def _new_chars(expr):
    """The count of ``new char[n]`` (any one-byte element type) that ``expr`` is, or None."""
    from seccodegen.judge.dataflow.queries.integer_overflow import new_array_sizes

    c = ast.strip(expr)
    if c is None or c.kind != K.CXX_NEW_EXPR or c.type.get_canonical().get_pointee().get_size() != 1:
        return None
    sizes = new_array_sizes(c)
    return sizes[0] if sizes else None


def _target_type(ev: Event):
    """The type of the variable or l-value that the assignment ``ev`` stores into."""
    if ev.cursor.kind == K.VAR_DECL:
        return ev.cursor.type
    kids = ast.children(ev.cursor)
    return kids[0].type if ev.cursor.kind == K.BINARY_OPERATOR and kids else None


def _element_size(ptr_type) -> int | None:
    """Bytes of what ``ptr_type`` points to; None for a non-pointer, ``void``/``char`` (byte
    buffers) or a struct ending in a flexible array member."""
    if ptr_type is None:
        return None
    canon = ptr_type.get_canonical()
    if canon.kind != T.POINTER:
        return None
    pointee = canon.get_pointee().get_canonical()
    size = pointee.get_size()
    if pointee.kind == T.VOID or size is None or size <= 1:
        return None
    if pointee.kind == T.RECORD:
        fields = list(pointee.get_fields())
        if fields and fields[-1].type.get_canonical().kind == T.INCOMPLETEARRAY:
            return None
    return size


def _byte_expression_vars(size, origins: Origins) -> set[str] | None:
    """The variables of ``size`` when it is an element count written as a byte count: no
    ``sizeof``, no ``*`` and no call in it or in any value assigned to its variables; else None."""
    text = ast.text(size).split()
    if not text or "sizeof" in text or "*" in text or ast.calls_in(size):
        return None
    names = ast.refs(size)
    for name in names:
        for assigned in origins.texts.get(name, []):
            if "sizeof" in assigned or "*" in assigned:
                return None
    return set(names) or None


@QUERIES.register("allocation-too-small")
class AllocationTooSmall:
    rule = "allocation-too-small"
    languages = ("c", "cpp")

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]:
        hits: list[Hit] = []
        origins = None
        for ev in fn.events:
            if ev.kind != "assign" or not ev.name or not ev.args or ev.args[0] is None:
                continue
            call = _allocation(ev.args[0])
            count = _new_chars(ev.args[0]) if call is None else None
            if count is not None and _length_only(fn, count) and _string_copied_into(fn, ev):
                hits.append(self._hit(ev, f"'{ev.name}' gets 'new char[{ast.compact(count)}]' and a string of that "
                                          "length is copied into it: no space for the terminating NUL",
                                      ("CWE-131", "CWE-193", "CWE-787")))  # fmt: skip
            if call is None:
                continue
            pos, times = ALLOCATIONS[ast.call_name(call)]
            args = ast.call_args(call)
            if pos >= len(args):
                continue
            if times is None and _length_only(fn, args[pos]) and _string_copied_into(fn, ev):
                hits.append(self._hit(ev, f"'{ev.name}' gets '{ast.compact(args[pos])}' bytes and a string of that "
                                          "length is copied into it: no space for the terminating NUL",
                                      ("CWE-131", "CWE-193", "CWE-787")))  # fmt: skip
                continue
            element = _element_size(_target_type(ev))
            if element is None:
                continue
            size = values.const_value(args[pos], ev.state)
            if times is not None and size is not None:
                count = values.const_value(args[times], ev.state) if times < len(args) else None
                size = size * count if count is not None else None
            if size is not None:
                if size < element or size % element:
                    how = "smaller than" if size < element else "not a multiple of"
                    hits.append(self._hit(ev, f"{size} bytes allocated for '{ev.name}', {how} the "
                                              f"{element}-byte type it points to"))  # fmt: skip
                continue
            if times is not None:
                continue  # calloc(n, k): n counts elements of k bytes
            origins = origins or Origins.of(fn)
            names = _byte_expression_vars(args[pos], origins)
            if names and _indexed_up_to(fn, ev.name, names):
                bound = ast.compact(args[pos])
                hits.append(self._hit(ev, f"'{ev.name}' gets '{bound}' bytes but is indexed up to '{bound}' "
                                          f"elements of {element} bytes: the count is not multiplied by sizeof"))  # fmt: skip
        return hits

    def _hit(self, ev: Event, message: str, cwes: tuple[str, ...] = ("CWE-131", "CWE-122", "CWE-787")) -> Hit:
        return Hit(self.rule, cwes, ev.line, ev.column, message)


def _length_only(fn: FunctionFacts, size) -> bool:
    """``size`` is a string's length and nothing more: ``strlen(s)``, ``wcslen(s)``, ``s.size()``,
    or a variable only ever assigned one (``n = strlen(s); malloc(n)``)."""
    c = ast.strip(size)
    if c is not None and c.kind == K.DECL_REF_EXPR:
        values = [ev.args[0] for ev in fn.events if ev.kind == "assign" and ev.name == c.spelling and ev.args]
        return bool(values) and all(v is not None and _length_only(fn, v) for v in values)
    return c is not None and c.kind == K.CALL_EXPR and ast.call_name(c) in LENGTHS


def _string_copied_into(fn: FunctionFacts, alloc: Event) -> bool:
    """After ``alloc``, a whole-string copy (``strcpy``, ``strcat``, ``sprintf``...) writes into
    the pointer it assigned."""
    after = False
    for ev in fn.events:
        if ev is alloc:
            after = True
        elif after and ev.kind == "call" and ev.name in STRING_WRITES and ev.args and ev.args[0] is not None:
            if ast.base_var(ev.args[0]) == alloc.name:
                return True
    return False


def _indexed_up_to(fn: FunctionFacts, pointer: str, counts: set[str]) -> bool:
    """``pointer[i]`` is accessed under a condition that compares ``i`` with one of ``counts``
    (``for (i = 0; i < n; i++) p[i] = ...``)."""
    for ev in fn.events:
        if (
            ev.kind != "deref"
            or ev.cursor.kind != K.ARRAY_SUBSCRIPT_EXPR
            or ev.name != pointer
            or not ev.args
        ):
            continue
        index_vars = ast.refs(ev.args[0]) if ev.args[0] is not None else set()
        for g in ev.state.guards:
            toks = g.text.split()
            if index_vars & g.vars and counts & g.vars and set(toks) & {"<", "<=", ">", ">="}:
                return True
    return False
