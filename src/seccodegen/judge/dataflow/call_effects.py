"""What a call does to the walk's :class:`State`, once its arguments are evaluated: frees,
input stored through out-arguments and stream reads, copies of data between buffers and strings,
what the file's own helpers are known to do (:mod:`.summaries`), pointers a callee may replace
(``f(&p)``), the containers it touches, and the constant facts it changes (:mod:`.values`).
Mixed into :class:`~.interp.Interp`, whose ``add_taint``/``kill`` it uses."""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import ast, containers, values
from seccodegen.judge.dataflow.facts import State, stream_label, taint_of
from seccodegen.judge.dataflow.models import (
    COPIES,
    FREES,
    NULL_OUT_ARGS,
    REALLOCS,
    SOURCE_OUT_ARGS,
    STREAM_READS,
)

K = ast.K


def input_stored(name: str, args: list, obj, st: State) -> list[tuple[str, frozenset[str]]]:
    """(variable, labels) for the input a library call stores into its arguments: the buffers
    and ``&x`` of ``fgets``/``read``/``scanf``... (``SOURCE_OUT_ARGS``), and what a C++ input
    stream reads into (``in >> n``, ``std::getline(in, s)``, ``in.read(buf, n)``)."""
    out = []
    for pos in SOURCE_OUT_ARGS.get(name, ()):
        targets = args[int(pos[1:]) :] if isinstance(pos, str) else args[pos : pos + 1]
        out += [(base, frozenset({f"src:{name}"})) for a in targets if (base := ast.base_var(a))]
    stream = stream_label(obj if obj is not None else (args[0] if args else None), st)
    if stream and (name == "operator>>" and len(args) == 2 or name in STREAM_READS):
        target = args[1] if name == "operator>>" else (args[0] if obj is not None and args else None)
        if name == "getline" and obj is None and len(args) >= 2:
            target = args[1]  # std::getline(stream, s)
        if target is not None and (base := ast.base_var(target)):
            out.append((base, stream))
    return out


def block_key(ptr) -> str | None:
    """What a freed or moved pointer expression names: the variable whose block it points into
    (``free(p + 1)``: ``p``), else the location it is read from (``free(p->buf)`` releases
    ``p->buf``'s block, not ``p``, and so also ``old`` after ``old = p->buf``)."""
    return ast.pointer_origin(ptr) or ast.path_key(ptr)


def field_key(arg, member: str) -> str | None:
    """The location of field ``member`` of the struct argument ``arg`` names: ``c.buf`` for
    ``&c``, ``p->buf`` for a pointer ``p``."""
    a = ast.strip(arg)
    if a is None:
        return None
    if a.kind == K.UNARY_OPERATOR and ast.unary_op(a) == "&" and ast.children(a):
        inner = ast.path_key(ast.children(a)[0])
        return f"{inner}.{member}" if inner else None
    inner = ast.path_key(a)
    return f"{inner}{'->' if ast.is_pointer(a) else '.'}{member}" if inner else None


class CallEffects:
    addresses: dict
    constant_returns: dict
    param_frees: dict
    field_frees: dict
    global_stores: dict
    global_frees: dict
    writes_input: dict
    defs: dict

    def forget_freed(self, st: State, key: str) -> None:
        """Location ``key`` (``p``, ``p->f``, ``*pp``) gets a new value: it and what hangs off it are not freed."""
        for k in [k for k in st.freed if k == key or k.startswith((key + "->", key + ".", key + "[", "*" + key))]:
            del st.freed[k]

    def written_through(self, st: State, target) -> None:
        """``*link = next`` writes one of the locations whose address ``link`` was given
        (``link = &head``, later ``link = &t->next``): each may hold the new pointer now, so none
        is freed or shares memory with what it pointed to (the unlink loop of a list)."""
        if target.kind != K.UNARY_OPERATOR or ast.unary_op(target) != "*" or not ast.children(target):
            return
        for loc in self.addresses.get(ast.var_name(ast.children(target)[0]) or "", ()):
            self.forget_freed(st, loc)
            st.unshare(loc)

    @staticmethod
    def flag_tested(st: State, proven: dict[str, tuple[bool, int]]) -> None:
        """A branch that proves a flag's value drops the frees made only where it held another
        (``delete[] buf; error = true;`` ... ``if (!error) delete[] buf;`` frees once)."""
        flags = {flag for flag, _ in st.freed_when.values()}
        for var, (flag, value) in list(st.freed_when.items()):
            if flag in proven and (proven[flag][1] != value if proven[flag][0] else proven[flag][1] == value):
                st.freed.pop(var, None)
                del st.freed_when[var]
        for flag, (equal, value) in proven.items():
            if equal and flag in flags:
                st.consts[flag] = value  # known on this branch: the join below can tell the paths apart

    def result_flag(self, st: State, name: str, value, c) -> None:
        """``closed = handle_command(c, line)`` of an own function that always returns 1: the flag
        holds 1, and what the call freed is freed where it does (``while (!closed && ...)`` then
        runs again only where nothing was freed)."""
        if value.kind != K.CALL_EXPR or ast.call_name(value) not in self.constant_returns:
            return
        k = self.constant_returns[ast.call_name(value)]
        st.consts[name] = k
        line = value.location.line
        for var, at in st.freed.items():
            if at == line and var != name:
                st.freed_when[var] = (name, k)

    @staticmethod
    def free_block(st: State, key: str | None, line: int) -> None:
        """The block ``key`` points to is freed at ``line``: it and every alias."""
        if key:
            for v in st.aliases(key):
                st.freed[v] = line

    def release(self, st: State, ptr, c) -> None:
        self.free_block(st, block_key(ptr), c.location.line)

    def release_fields(self, st: State, name: str, args: list, c) -> None:
        """The file's own helper ``name`` frees fields of a struct it receives (``field_frees``):
        ``close_conn(&c)`` frees ``c.buf``, ``close_conn(p)`` frees ``p->buf``."""
        for pos, member in self.field_frees.get(name, ()):
            if pos < len(args):
                self.free_block(st, field_key(args[pos], member), c.location.line)

    def moved_block(self, st: State, value) -> frozenset[str]:
        """The pointers to the block that ``value``, a ``realloc(p, n)``, moves: ``p`` and its
        aliases (``start = p`` before it). The caller marks them freed once the result is stored
        (CodeQL's ``cpp/use-after-free`` counts realloc as a deallocation of its argument too)."""
        v = ast.strip(value)
        if v is None or v.kind != K.CALL_EXPR or ast.call_name(v) not in REALLOCS:
            return frozenset()
        args = ast.call_args(v)
        key = block_key(args[0]) if args else None
        return st.aliases(key) if key else frozenset()

    def free_moved(self, st: State, pointers: frozenset[str], value) -> None:
        """Mark ``pointers`` (from :meth:`moved_block`) freed by the realloc ``value``."""
        if pointers:
            line = ast.strip(value).location.line
            for v in pointers:
                st.freed[v] = line

    def realloc_failed(self, st: State, var: str) -> None:
        """On a branch where ``var``, set by ``var = realloc(p, n)``, is NULL, ``p``'s block did
        not move: ``if (!bigger) { free(buf); return -1; }`` frees it once, not twice."""
        d = ast.strip(self.defs.get(var))
        if d is None or d.kind != K.CALL_EXPR or ast.call_name(d) not in REALLOCS:
            return
        line = d.location.line
        for v in self.moved_block(st, d):
            if st.freed.get(v) == line:
                del st.freed[v]

    def global_effects(self, st: State, name: str, args: list, c) -> None:
        """The file's own helper ``name`` stores an argument's pointer in a global (``set_cache(v)``:
        ``cache`` and ``v`` share memory from here on) or frees a global."""
        for g, pos in self.global_stores.get(name, ()):
            origin = block_key(args[pos]) if pos < len(args) else None
            self.kill(st, g)
            if origin and origin != g:
                st.share(g, origin)
                if origin in st.freed:
                    st.freed[g] = st.freed[origin]  # set_cache(p) after free(p): the global dangles
        for g, set_again in self.global_frees.get(name, ()):
            self.free_block(st, g, c.location.line)
            if set_again:  # free(cache); cache = NULL;
                self.kill(st, g)

    def call_effects(self, st: State, c, name: str, args: list, obj) -> None:
        """Apply call ``c`` (``name(args)``, on ``obj`` for a member call) to ``st`` in place."""
        if obj is not None or name == "operator+=" and args:  # s += x: the string is the first operand
            containers.called(st, name, obj if obj is not None else args[0], c.location.line, args)
        for k, a in enumerate(args):  # f(&p): the callee may store a new pointer in p
            a = ast.strip(a)
            if a is not None and a.kind == K.UNARY_OPERATOR and ast.unary_op(a) == "&":
                target = ast.var_name(ast.children(a)[0]) if ast.children(a) else None
                if target:
                    st.maybe_null.pop(target, None)
                    if (
                        name in NULL_OUT_ARGS and NULL_OUT_ARGS[name][0] == k
                    ):  # strsep(&p, ","): p may be NULL now
                        st.maybe_null[target] = name
        if name in FREES and len(args) > FREES[name]:
            self.release(st, args[FREES[name]], c)
        for pos in self.param_frees.get(name, ()):  # the file's own helper that frees its argument
            if pos < len(args):
                self.release(st, args[pos], c)
        self.release_fields(st, name, args, c)
        self.global_effects(st, name, args, c)
        for base, labels in input_stored(name, args, obj, st):
            self.add_taint(st, base, labels, set())
        for pos, labels in self.writes_input.get(name, {}).items():  # the file's own reader: read_into(&r)
            if pos < len(args) and (base := ast.base_var(args[pos])):
                self.add_taint(st, base, labels, set())
        if name in COPIES:
            dest_pos, src_pos = COPIES[name]
            everything = ([obj] if obj is not None else []) + args
            offset = 1 if obj is not None else 0

            def pick(pos):
                if isinstance(pos, str):
                    return everything[int(pos[1:]) + offset :]
                i = pos + offset
                return everything[i : i + 1] if 0 <= i < len(everything) else []

            srcs = [a for p in src_pos for a in pick(p)]
            if name in FORMATTED:  # sprintf(cmd, "tail -n %ld", keep): a number enters as digits
                srcs = [a for a in srcs if not _numeric(a)]
            labels = frozenset().union(*[taint_of(a, st) for a in srcs]) if srcs else frozenset()
            refs = set().union(*[ast.refs(a) for a in srcs]) if srcs else set()
            dests = pick(dest_pos)
            if name == "operator=" and dests and ast.var_name(dests[0]):
                self.kill(st, ast.var_name(dests[0]))
                containers.bind(st, ast.var_name(dests[0]), ast.strip(dests[0]), srcs[0] if srcs else None)
            for d in dests:
                while (
                    name in ("operator<<", "operator+")
                    and ast.strip(d) is not None
                    and (ast.strip(d).kind == K.CALL_EXPR and ast.call_name(ast.strip(d)) == name)
                ):
                    d = ast.call_args(ast.strip(d))[0]  # s << a << b: the stream is the leftmost operand
                base = ast.base_var(d)
                if base:
                    self.add_taint(st, base, labels, refs)
        values.called(st, name, args, c)


# copies that format their sources: a number among them is written as digits (no text of its own)
FORMATTED = {"sprintf", "snprintf", "vsprintf", "vsnprintf", "swprintf", "asprintf"}
NUMBER_KINDS = (ast.INTEGER_KINDS - ast.CHAR_KINDS - {ci.TypeKind.WCHAR}) | {
    ci.TypeKind.FLOAT, ci.TypeKind.DOUBLE, ci.TypeKind.LONGDOUBLE, ci.TypeKind.BOOL
}


def _numeric(arg) -> bool:
    """``arg`` is a number (not a character, which ``%c`` writes as itself)."""
    return arg is not None and arg.type.get_canonical().kind in NUMBER_KINDS
