"""How large a value an integer expression can hold, from its operands' types alone: whether an
operation can pass its type's maximum at all (``(size_t)h * w`` of two 32-bit values cannot;
``n + 1`` of an unsigned 32-bit ``n`` can), for ``integer-overflow`` and
``uncontrolled-allocation-size``. Checks on the way are :mod:`.ranges`' business."""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import ast
from seccodegen.judge.dataflow.queries.origins import is_unsigned
from seccodegen.judge.dataflow.queries.ranges import type_max

K = ci.CursorKind


def value_bits(c) -> int:
    """An upper bound on the bits of ``c``'s value (:func:`value_max`'s bit length)."""
    return value_max(c).bit_length()


def _type_max(c) -> int:
    """The largest magnitude of ``c``'s type: ``2**32 - 1`` for ``unsigned``, ``2**31`` for ``int``."""
    size = c.type.get_canonical().get_size()
    if not size or size <= 0:
        return 2**64 - 1
    return 2 ** (size * 8) - 1 if is_unsigned(c) else 2 ** (size * 8 - 1)


def value_max(c) -> int:
    """An upper bound on the magnitude of ``c``'s value, from its operands' types: a product of
    two 32-bit values is below 2^64, a sum of two below twice the larger, a literal its value,
    ``sizeof`` below 2^16; a value is never larger than its own type holds (``(size_t)(h - 1)``
    is below 2^32: the subtraction wraps in ``unsigned``), so ``(size_t)(h - 1) * w + (w - 1)``
    fits 64 bits."""
    c0 = c
    while c0 is not None and c0.kind == K.UNEXPOSED_EXPR and len(ast.children(c0)) == 1:
        c0 = ast.children(c0)[0]  # implicit conversions only: an explicit (size_t) cast is a widening
    if c0 is None:
        return 2**64 - 1
    if c0.kind == K.PAREN_EXPR and ast.children(c0):
        return value_max(ast.children(c0)[0])
    cap = _type_max(c0)
    if c0.kind in (K.CSTYLE_CAST_EXPR, K.CXX_STATIC_CAST_EXPR, K.CXX_FUNCTIONAL_CAST_EXPR):
        inner = [k for k in ast.children(c0) if k.kind != K.TYPE_REF]
        if inner:  # a widening cast keeps the value; a narrowing one truncates
            return min(cap, value_max(inner[-1]))
    if c0.kind == K.INTEGER_LITERAL:
        try:
            return int(ast.text(c0).rstrip("uUlL"), 0)
        except ValueError:
            return 2**32 - 1
    if ast.is_sizeof(c0):
        return 2**16 - 1
    if c0.kind == K.BINARY_OPERATOR and len(ast.children(c0)) == 2:
        a, b = (value_max(k) for k in ast.children(c0))
        op = ast.binary_op(c0)
        if op == "*":
            return min(cap, a * b)
        if op in ("+", "-", "|", "^"):
            return min(cap, a + b)
        if op in ("/", ">>", "%", "&"):
            return min(a, b) if op == "&" else a
    return cap


def cannot_overflow(node, op: str, parents: dict | None = None) -> bool:
    """The operation is computed in a type wide enough for any value of its operands
    (``(size_t)h * w`` of two 32-bit values; ``long long sum += int_value``; a byte shifted into
    place, ``(uint32_t)b[3] << 24``), and the type it is
    then converted to holds that value too (with ``parents``: ``short r = d * d`` of two
    ``short`` values fits the ``int`` it is computed in, not the ``short`` it is stored in)."""
    limit = type_max(node)
    if limit is None:
        return False
    target = _converted_to(node, parents) if parents else None
    if (
        target is not None
        and 0 < (target.type.get_canonical().get_size() or 0) < node.type.get_canonical().get_size()
    ):
        limit = type_max(target) or limit
    kids = ast.children(node)
    if op in ("+", "*") and len(kids) == 2:  # UINT_MAX + 1 wraps; (size_t)(h - 1) * w + (w - 1) does not
        a, b = (value_max(k) for k in kids)
        return (a * b if op == "*" else a + b) <= limit
    if op == "<<" and len(kids) == 2:  # (uint32_t)b[3] << 24 of a byte: at most 0xff000000
        a, b = (value_max(k) for k in kids)
        return b < 64 and a << b <= limit
    if op == "+=" and len(kids) == 2:  # an accumulator 31 bits wider than its terms: 2^31 additions
        return value_bits(kids[1]) + 31 <= limit.bit_length()
    return False


def _converted_to(node, parents: dict):
    """The declaration or implicit conversion that receives ``node``'s value: the variable it
    initialises (``short r = d * d``) or the narrowest implicit cast around it; None if neither."""
    narrowest, up = None, parents.get(node)
    while up is not None and up.kind in (K.UNEXPOSED_EXPR, K.PAREN_EXPR):
        if up.kind == K.UNEXPOSED_EXPR and (
            narrowest is None
            or (up.type.get_canonical().get_size() or 99) < (narrowest.type.get_canonical().get_size() or 99)
        ):
            narrowest = up
        up = parents.get(up)
    if up is not None and up.kind == K.VAR_DECL:
        return up
    return narrowest
