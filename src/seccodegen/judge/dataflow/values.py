"""Constant facts for the dataflow core: integer values, buffer sizes, known string lengths.

What a buffer-overflow query needs to *prove* an overflow that no input drives: ``char
dest[50]`` holds 50 bytes; ``p = malloc(100 * sizeof(char))`` points to 100 heap bytes; after
``memset(p, 'A', 99); p[99] = '\\0';`` the string at ``p`` is 99 characters long, so ``n =
strlen(p)`` is 99 and ``memcpy(dest, p, n)`` writes 49 bytes past ``dest``. The facts live in
:class:`~.facts.State` (``consts``, ``sizes``, ``strlens``, ``nonzero``); they are must-facts
(kept at a join only when equal on every path) and are shared by aliases (``data =
dataBuffer``): a write through one updates all. Whatever the walk cannot follow forgets them: a
non-constant assignment, ``++``, passing ``&x``, a write at an unknown index, passing the buffer
to a function whose parameter is not ``const``; the facts of every variable a loop writes are
dropped at the start of each pass over the loop. Constant expressions (``100 * sizeof(char)``,
``50 - 1``, macros) are evaluated by clang itself (``clang_Cursor_Evaluate``).
"""

from __future__ import annotations

import ctypes
import functools

import clang.cindex as ci

from seccodegen.judge.dataflow import ast
from seccodegen.judge.dataflow.facts import State
from seccodegen.judge.dataflow.models import SOURCE_OUT_ARGS

K = ast.K
# allocator -> positions of the arguments whose product is the block's size in bytes, and where it lives
ALLOCATORS: dict[str, tuple[tuple[int, ...], str]] = {
    "malloc": ((0,), "heap"), "calloc": ((0, 1), "heap"), "realloc": ((1,), "heap"),
    "aligned_alloc": ((1,), "heap"), "alloca": ((0,), "stack"), "__builtin_alloca": ((0,), "stack"),
}  # fmt: skip
# library functions that only read through their pointer arguments (their prototypes may lack const)
READ_ONLY = {"strlen", "strnlen", "strcmp", "strncmp", "strcasecmp", "strchr", "strrchr", "strstr", "printf",
             "fprintf", "puts", "fputs", "atoi", "atol", "strtol", "strtoul", "free"}  # fmt: skip
_EVAL_INT, _EVAL_STR = 1, 4  # CXEvalResultKind


@functools.cache
def _eval_functions():
    lib = ci.conf.lib
    spec = {
        "clang_Cursor_Evaluate": ([ci.Cursor], ctypes.c_void_p),
        "clang_EvalResult_getKind": ([ctypes.c_void_p], ctypes.c_int),
        "clang_EvalResult_getAsLongLong": ([ctypes.c_void_p], ctypes.c_longlong),
        "clang_EvalResult_getAsStr": ([ctypes.c_void_p], ctypes.c_char_p),
        "clang_EvalResult_dispose": ([ctypes.c_void_p], None),
    }
    out = {}
    for name, (args, res) in spec.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, res
        out[name] = fn
    return out


def evaluate(c) -> int | bytes | None:
    """clang's value of the constant expression ``c``: an int, the bytes of a string literal (up
    to its first NUL), or None when it is not a constant."""
    if c is None or isinstance(c, ast.DeclRefStandIn) or c.kind == K.INIT_LIST_EXPR:
        return None  # clang_Cursor_Evaluate crashes on a nested initializer list: int g[8][8] = {{0}}
    f = _eval_functions()
    res = f["clang_Cursor_Evaluate"](c)
    if not res:
        return None
    try:
        kind = f["clang_EvalResult_getKind"](res)
        if kind == _EVAL_INT:
            return int(f["clang_EvalResult_getAsLongLong"](res))
        if kind == _EVAL_STR:
            return f["clang_EvalResult_getAsStr"](res) or b""
        return None
    finally:
        f["clang_EvalResult_dispose"](res)


def const_value(expr, st: State) -> int | None:
    """The integer ``expr`` evaluates to on every path to ``st``, or None."""
    c = ast.strip(expr)
    if c is None:
        return None
    if c.kind == K.DECL_REF_EXPR:
        name = ast.var_name(c)
        return st.consts.get(name) if name else _int(evaluate(c))  # an enumerator or a constant
    if c.kind == K.CALL_EXPR:
        args = ast.call_args(c)
        return string_length(args[0], st) if ast.call_name(c) in ("strlen", "strnlen") and args else None
    if not ast.refs(c) and not ast.calls_in(c):
        return _int(evaluate(c))
    kids = ast.children(c)
    if c.kind == K.BINARY_OPERATOR and len(kids) == 2:
        a, b = const_value(kids[0], st), const_value(kids[1], st)
        if a is None or b is None:
            return None
        op = ast.binary_op(c)
        ops = {"+": a + b, "-": a - b, "*": a * b, "<<": a << b if 0 <= b < 64 else None,
               "/": a // b if b else None, "%": a % b if b else None}  # fmt: skip
        return ops.get(op)
    return None


def _int(v) -> int | None:
    return v if isinstance(v, int) else None


def plain_var(expr) -> str | None:
    """The variable ``expr`` names as a whole buffer (``buf``, ``(char *)p``), not at an offset."""
    return ast.var_name(expr)


def string_length(expr, st: State) -> int | None:
    """``strlen`` of the string ``expr`` points to, when it is known on every path."""
    c = ast.strip(expr)
    if c is None:
        return None
    if c.kind == K.STRING_LITERAL:  # clang evaluates the decayed pointer, or the array in an initialiser
        v = evaluate(expr) if expr is not c else None
        v = v if isinstance(v, bytes) else evaluate(c)
        return len(v) if isinstance(v, bytes) else None
    name = plain_var(c)
    return st.strlens.get(name) if name else None


def _storage(decl) -> str:
    local = decl.semantic_parent is not None and decl.semantic_parent.kind in (K.FUNCTION_DECL, K.CXX_METHOD)
    return "stack" if local and decl.storage_class != ci.StorageClass.STATIC else "static"


def capacity(expr, st: State) -> tuple[int, str] | None:
    """(bytes, where) of the memory from where ``expr`` points to the end of its block: a fixed-size
    array (its type), or a pointer whose block size is known (``malloc(50)``, ``p = buf``)."""
    c = ast.strip(expr)
    if c is None:
        return None
    t = c.type.get_canonical()
    if t.kind == ci.TypeKind.CONSTANTARRAY and t.get_size() > 0:
        if c.kind == K.MEMBER_REF_EXPR and _last_field(c.referenced):
            return None  # struct msg { int n; char data[1]; }: a block allocated past its end
        ref = c.referenced if c.kind == K.DECL_REF_EXPR else None
        return t.get_size(), _storage(ref) if ref is not None and ref.kind == K.VAR_DECL else "static"
    name = plain_var(c)
    return st.sizes.get(name) if name else None


def _last_field(field) -> bool:
    """``field`` is the last member of its struct (the old flexible-array idiom may size it 1 or N)."""
    if field is None or field.kind != K.FIELD_DECL or field.semantic_parent is None:
        return False
    fields = [f for f in field.semantic_parent.get_children() if f.kind == K.FIELD_DECL]
    return bool(fields) and fields[-1] == field


def element_count(expr, st: State) -> int | None:
    """Elements of the buffer ``expr`` names: a fixed-size array's length, or a sized block / the element size."""
    cap = capacity(expr, st)
    if cap is None:
        return None
    t = ast.strip(expr).type.get_canonical()
    elem = t.element_type if t.kind == ci.TypeKind.CONSTANTARRAY else t.get_pointee()
    size = elem.get_size() if elem is not None else -1
    return cap[0] // size if size and size > 0 else None


def product(args: list, positions: tuple[int, ...], st: State) -> int | None:
    """The product of the arguments at ``positions`` (``calloc(n, size)``), when all are known."""
    total = 1
    for i in positions:
        n = const_value(args[i], st) if i < len(args) else None
        if n is None:
            return None
        total *= n
    return total


def _allocation(value, st: State) -> tuple[int, str] | None:
    v = ast.strip(value)
    if v is None or v.kind != K.CALL_EXPR or ast.call_name(v) not in ALLOCATORS:
        return None
    positions, where = ALLOCATORS[ast.call_name(v)]
    total = product(ast.call_args(v), positions, st)
    return None if total is None else (total, where)


def _set(st: State, var: str, facts: str, value: int | None) -> None:
    """Record (or, with None, forget) ``facts`` of the memory ``var`` points to, for all its aliases."""
    d = getattr(st, facts)
    for v in st.aliases(var):
        if value is None:
            d.pop(v, None)
        else:
            d[v] = value


def forget(st: State, var: str) -> None:
    """The contents of ``var``'s memory changed in a way not followed: no known string length."""
    _set(st, var, "strlens", None)
    _set(st, var, "nonzero", None)


def killed(st: State, var: str) -> None:
    """``var`` gets a new value: none of its facts hold any more."""
    for m in ("consts", "sizes", "strlens", "nonzero"):
        getattr(st, m).pop(var, None)


def assigned(st: State, name: str, target, value) -> None:
    """``name = value`` (a declaration's initialiser too), after :meth:`Interp.kill` forgot ``name``."""
    t = target.type.get_canonical()
    v = ast.strip(value)
    if v is None:
        return
    if t.kind == ci.TypeKind.CONSTANTARRAY:  # char s[50] = "" / = "abc" / = {0}
        length = string_length(value, st) if v.kind == K.STRING_LITERAL else None
        if length is not None:
            st.strlens[name] = length
        elif v.kind == K.INIT_LIST_EXPR:
            first = next(iter(v.get_children()), None)
            if first is not None and const_value(first, st) == 0:
                st.strlens[name] = 0
        return
    if t.kind not in (ci.TypeKind.POINTER,):
        n = const_value(value, st)
        if n is not None:
            st.consts[name] = n
        return
    size = _allocation(value, st)
    if size is not None:
        st.sizes[name] = size
        return
    if v.kind == K.STRING_LITERAL:
        length = string_length(value, st)
        if length is not None:
            st.strlens[name], st.sizes[name] = length, (length + 1, "literal")
        return
    other = plain_var(v)
    if other:  # q = p / q = buf: the same block
        size = capacity(v, st)
        if size is not None:
            st.sizes[name] = size
        for m in ("strlens", "nonzero"):
            if other in getattr(st, m):
                getattr(st, m)[name] = getattr(st, m)[other]


def element_written(st: State, target, value) -> None:
    """``p[k] = value`` / ``*p = value`` / ``s.f = value``: a NUL at a known index ends the string there."""
    t = ast.strip(target)
    base = ast.base_var(target)
    if t is None or not base:
        return
    kids = ast.children(t)
    if t.kind == K.ARRAY_SUBSCRIPT_EXPR and len(kids) == 2 and plain_var(kids[0]):
        k = const_value(kids[1], st)
    elif t.kind == K.UNARY_OPERATOR and kids and plain_var(kids[0]):
        k = 0
    else:
        forget(st, base)
        return
    if k is None:
        forget(st, base)
        return
    v = const_value(value, st) if value is not None else None
    length, filled = st.strlens.get(base), st.nonzero.get(base, 0)
    if v == 0:
        new = min(length, k) if length is not None else k if filled >= k else None
        _set(st, base, "strlens", new)
        _set(st, base, "nonzero", min(filled, k) or None)
    elif v is not None:  # a non-NUL byte: the string keeps its end unless this overwrote it
        _set(st, base, "strlens", None if length == k else length)
    else:
        _set(st, base, "strlens", length if length is not None and k > length else None)
        _set(st, base, "nonzero", min(filled, k) or None)


def _prototype(call):
    """(declaration, parameter types) of the function ``call`` calls; (None, []) without a prototype."""
    decl = call.referenced
    if decl is None or decl.type.kind != ci.TypeKind.FUNCTIONPROTO:
        return None, []
    return decl, list(decl.type.argument_types())


def writes_through(call, name: str, i: int) -> bool:
    """Whether the callee may write through its ``i``-th argument (a non-const pointer parameter)."""
    if name in READ_ONLY:
        return False
    if name in SOURCE_OUT_ARGS:
        return True
    _, types = _prototype(call)
    if i >= len(types):
        return not types  # unknown prototype: may write; variadic extras (printf's): read
    pointee = types[i].get_canonical().get_pointee()
    return not (pointee.kind != ci.TypeKind.INVALID and pointee.is_const_qualified())


def reference_out_args(call, n_args: int) -> set[int]:
    """Positions among a call's ``n_args`` arguments that bind to a non-const lvalue reference
    (``std::cin >> n``, ``std::getline(in, s)``, an own ``void read(int &n)``): the callee may
    give the variable a new value without a ``&`` at the call. A member operator called with
    its object as the first argument (``operator>>(cin, n)``) has one parameter fewer."""
    decl, types = _prototype(call)
    if decl is None:
        return set()
    shift = n_args - len(types) if decl.kind == K.CXX_METHOD and n_args == len(types) + 1 else 0
    return {
        i + shift
        for i, t in enumerate(types)
        if t.kind == ci.TypeKind.LVALUEREFERENCE and not t.get_pointee().is_const_qualified()
    }


def called(st: State, name: str, args: list, call) -> None:
    """Effects of a call on the facts: ``memset``/``strcpy``/``strcat`` results, and forgetting what
    the callee may change (``&x``, buffers passed to non-const parameters)."""
    dest = plain_var(args[0]) if args else None
    result: tuple[str, int | None] | None = None  # what the call leaves in dest's memory
    if dest and name == "memset" and len(args) == 3:
        byte, n = const_value(args[1], st), const_value(args[2], st)
        if byte is not None and n is not None:
            result = ("nonzero", n) if byte & 0xFF else ("strlens", 0 if n else None)
    elif dest and name in ("strcpy", "stpcpy") and len(args) == 2:
        result = ("strlens", string_length(args[1], st))
    elif dest and name == "strcat" and len(args) == 2:
        before, added = st.strlens.get(dest), string_length(args[1], st)
        result = ("strlens", None if before is None or added is None else before + added)
    by_reference = reference_out_args(call, len(args))
    for i, a in enumerate(args):
        s = ast.strip(a)
        if i in by_reference and (inner := plain_var(a)):
            st.consts.pop(inner, None)
            forget(st, inner)
        elif s is not None and s.kind == K.UNARY_OPERATOR and ast.unary_op(s) == "&":
            inner = ast.base_var(s)
            if inner:
                st.consts.pop(inner, None)
                forget(st, inner)
        elif ast.is_pointer(a) and writes_through(call, name, i):
            base = ast.base_var(a)
            if base:
                forget(st, base)
    if result is not None and dest:
        _set(st, dest, *result)


def loop_writes(loop) -> tuple[set[str], set[str]]:
    """(variables a loop assigns, buffers whose contents it may change), from its whole text."""
    assigned_vars: set[str] = set()
    contents: set[str] = set()
    for n in loop.walk_preorder():
        if n.kind in (K.BINARY_OPERATOR, K.COMPOUND_ASSIGNMENT_OPERATOR) and (
            n.kind == K.COMPOUND_ASSIGNMENT_OPERATOR or ast.binary_op(n) == "="
        ):
            kids = ast.children(n)
            target = ast.var_name(kids[0]) if kids else None
            if target:
                assigned_vars.add(target)
            elif kids and ast.base_var(kids[0]):
                contents.add(ast.base_var(kids[0]))
        elif n.kind == K.UNARY_OPERATOR and ast.unary_op(n) in ("++", "--", "&"):
            base = ast.base_var(n)
            if base:
                (assigned_vars if ast.var_name(ast.children(n)[0]) else contents).add(base)
        elif n.kind == K.VAR_DECL:
            assigned_vars.add(n.spelling)
        elif n.kind == K.CALL_EXPR:
            for i, a in enumerate(ast.call_args(n)):
                base = ast.base_var(a) if ast.is_pointer(a) else None
                if base and writes_through(n, ast.call_name(n), i):
                    contents.add(base)
    return assigned_vars, contents


def loop_entered(st: State, writes: tuple[set[str], set[str]]) -> None:
    """At the start of a pass over a loop: forget the facts of what the loop writes."""
    assigned_vars, contents = writes
    for v in assigned_vars:
        killed(st, v)
    for v in contents | assigned_vars:
        forget(st, v)
