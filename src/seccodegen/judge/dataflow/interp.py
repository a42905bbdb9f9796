"""Walk one function's AST in execution order, carrying a :class:`State`, and record events.

An abstract interpreter over *structured* code: ``if``/``else`` and ``?:``/``&&``/``||`` run both
branches on copies of the state and join them (:func:`merge`); a branch ending in ``return``,
``break``, ``continue``, ``goto``, ``throw`` or a no-return call (``exit``, ``abort``, a failed
``assert``) does not flow on, so ``if (!p) return;`` leaves the rest of the block guarded by
``p``. Loop bodies are walked twice, so effects of one iteration (a ``free``) reach the next.
``switch`` joins every ``case`` with the state before the switch (statements: :mod:`.statements`).
Calls into the file's own functions use the one-call-deep facts of :mod:`.summaries` (never
returns, may return NULL, frees a parameter) and nothing else. Not modelled: backward ``goto``,
``setjmp``, lambdas' bodies, exceptions thrown by callees.
"""

from __future__ import annotations

from seccodegen.judge.dataflow import ast, containers, values
from seccodegen.judge.dataflow.ast import nonnull_when
from seccodegen.judge.dataflow.facts import Event, Guard, State, merge, stream_label, taint_of
from seccodegen.judge.dataflow.models import (
    COPIES,
    FREES,
    MAY_RETURN_NULL,
    NO_RETURN,
    NULL_OUT_ARGS,
    SOURCE_OUT_ARGS,
    STREAM_READS,
)  # fmt: skip
from seccodegen.judge.dataflow.statements import StatementWalker

K = ast.K
ARITH_OPS = {"+", "-", "*", "/", "%", "<<"}  # operators recorded as "arith" events (overflow sites)
MAX_NODES = 20000  # statements+expressions walked per function (x2 for loops); beyond: stop early

# input calls whose result is a count (bytes, items), not the buffer they fill: n = read(fd, buf, k)
COUNT_RESULTS = {name for name in SOURCE_OUT_ARGS if name not in ("fgets", "fgetws", "gets", "gets_s")}


def _value_sources(value) -> set[str]:
    """The variables an assigned value is computed from. The buffers an input call fills are not
    among them when it returns a count (``n = read(fd, buf, 63)``: ``n`` is no function of what
    ``buf`` holds, so a check of ``n`` says nothing of a number parsed from ``buf`` later)."""
    if value is None:
        return set()
    v = ast.strip(value)
    name = ast.call_name(v) if v is not None and v.kind == K.CALL_EXPR else None
    if name not in COUNT_RESULTS:
        return ast.refs(value)
    args = ast.call_args(v)
    filled: set[int] = set()
    for pos in SOURCE_OUT_ARGS[name]:
        filled |= set(range(int(pos[1:]), len(args))) if isinstance(pos, str) else {pos}
    out: set[str] = set()
    for k, a in enumerate(args):
        if k not in filled:
            out |= ast.refs(a)
    return out


class Interp(StatementWalker):
    def __init__(self, no_return=frozenset(), null_returning=frozenset(), param_frees=None) -> None:
        self.param_frees: dict[str, tuple[int, ...]] = param_frees or {}
        self.no_return = NO_RETURN | no_return
        self.may_return_null = MAY_RETURN_NULL | null_returning
        self.events: list[Event] = []
        self.loops: list[dict[str, list[State]]] = []  # innermost last: {"break": [...], "continue": [...]}
        self.gotos: dict[str, list[State]] = {}
        self.defs: dict[str, object] = {}  # var -> the value last assigned to it, in walk order
        self.iteration = 1
        self.budget = MAX_NODES

    # ---- recording ----------------------------------------------------------------------------
    def emit(self, kind: str, name: str, c, st: State, args=(), obj=None) -> None:
        loc = c.location
        self.events.append(Event(kind, name, c, loc.line, loc.column, st.copy(), tuple(args), obj,
                                 self.iteration, len(self.loops)))  # fmt: skip

    # ---- state updates ------------------------------------------------------------------------

    def null_source(self, value) -> str | None:
        """What may make ``value`` NULL: a call that may return NULL (``malloc``, ``fopen``, the
        file's own such functions), or ``new (std::nothrow)``, which returns NULL where plain
        ``new`` throws; None for anything else."""
        v = ast.strip(value) if value is not None else None
        if v is None:
            return None
        if v.kind == K.CALL_EXPR and ast.call_name(v) in self.may_return_null:
            return ast.call_name(v)
        if v.kind == K.CXX_NEW_EXPR and "nothrow" in ast.tokens(v):
            return "new (std::nothrow)"
        return None

    @staticmethod
    def forget_elements_at(st: State, index: str) -> None:
        """``index`` changed (``i = ...``, ``i++``): ``m[i]`` names another element now, whose
        NULL-ness nothing tracked."""
        for k in [k for k in st.maybe_null if k.endswith(f"[{index}]")]:
            del st.maybe_null[k]

    def kill(self, st: State, var: str) -> None:
        """``var`` gets a new value: forget its taint, aliases, NULL-ness and freed-ness."""
        for v in st.alias.pop(var, frozenset()):
            if v in st.alias:
                st.alias[v] = st.alias[v] - {var}
        st.taint.pop(var, None)
        st.derived.pop(var, None)
        for k in [k for k in st.maybe_null if k == var or k.startswith((var + "->", var + ".", var + "["))]:
            del st.maybe_null[k]  # and the fields and elements of what it pointed to
        self.forget_elements_at(st, var)
        self.forget_freed(st, var)
        values.killed(st, var)
        if st.left:
            st.left = frozenset(x for x in st.left if var not in x[1])

    def forget_freed(self, st: State, key: str) -> None:
        """Location ``key`` (``p``, ``p->f``, ``*pp``) gets a new value: it and what hangs off it are not freed."""
        for k in [k for k in st.freed if k == key or k.startswith((key + "->", key + ".", key + "[", "*" + key))]:
            del st.freed[k]

    def add_taint(self, st: State, var: str, labels: frozenset[str], sources: set[str]) -> None:
        """Weak update: ``var``'s memory (and every alias's) may now also hold ``labels`` data."""
        if not labels and not sources:
            return
        for v in st.aliases(var):
            if labels:
                st.taint[v] = st.taint.get(v, frozenset()) | labels
            if sources:
                st.derived[v] = st.derived.get(v, frozenset()) | frozenset(sources - {v})

    def assign(self, st: State, target, value, c) -> None:
        """``target = value`` (``value`` None: unknown)."""
        labels = taint_of(value, st) if value is not None else frozenset()
        srcs = _value_sources(value)
        for s in list(srcs):
            srcs |= st.derived.get(s, frozenset())
        t = ast.strip(target)
        name = ast.var_name(t) if t is not None else None
        if name is None:  # element/field/pointee write: weak update of the base variable
            key = ast.path_key(target)
            if key:  # the location holds a new pointer: not freed, no longer shared with a variable
                self.forget_freed(st, key)
                for m in st.alias.pop(key, frozenset()):
                    if m in st.alias:
                        st.alias[m] = st.alias[m] - {key}
            key = key or ast.element_key(target)  # m[i] = calloc(...): tracked for NULL-ness only
            if key:
                source = self.null_source(value)
                if source:
                    st.maybe_null[key] = source  # d->title = malloc(n): the field may be NULL
                else:
                    st.maybe_null.pop(key, None)
            base = ast.base_var(target)
            if base:
                self.add_taint(st, base, labels, srcs)
            values.element_written(st, target, value)
            return
        self.kill(st, name)
        containers.bind(st, name, t, value)
        if value is not None:
            self.defs[name] = value
        if labels:
            st.taint[name] = labels
        if srcs - {name}:
            st.derived[name] = frozenset(srcs - {name})
        v = ast.strip(value) if value is not None else None
        if v is None:
            return
        values.assigned(st, name, t, value)
        if source := self.null_source(value):
            st.maybe_null[name] = source
        elif ast.is_null_literal(value) and ast.is_pointer(t):
            st.maybe_null[name] = "NULL"
        elif ast.is_pointer(t):
            # q = p / p + n / &p[i] / buf: same memory; q = s->buf / *pp: q holds that location's
            # pointer (freeing either frees both)
            other = ast.pointer_origin(v) or (ast.path_key(v) if ast.is_pointer(v) else None)
            if other and other != name:  # q = p, q = p + n, q = &buf[0], q = s.c_str(): same memory
                cls = st.aliases(other) | {name}
                for m in cls:
                    st.alias[m] = cls - {m}
                if other in st.taint:
                    st.taint[name] = st.taint[name] | st.taint[other] if name in st.taint else st.taint[other]
                for m in ("maybe_null", "freed"):
                    d = getattr(st, m)
                    if other in d and (v.kind == K.DECL_REF_EXPR or m == "maybe_null" and v.kind == K.MEMBER_REF_EXPR):
                        d[name] = d[other]  # q = p; t = d->title (a field that may be NULL)

    def refine(self, st: State, cond, truth: bool, loop: bool = False) -> State:
        """``st`` on the branch where ``cond`` evaluated to ``truth``: pointers known non-NULL there
        (``loop``: ``cond`` is the condition of the loop being entered)."""
        for var in nonnull_when(cond, truth):
            for v in st.aliases(var):
                st.maybe_null.pop(v, None)
        # a condition on a flag or a copy (``ok = isalnum(c); if (!ok)``) is read through the flag's
        # definition: its text and calls join the guard's, and the variables it was computed from
        toks, refs, calls = ast.tokens(cond), set(ast.refs(cond)), set(ast.calls_in(cond))
        text = " ".join(toks)
        for v in list(refs):
            d = self.defs.get(v)
            if d is not None:
                toks += ast.tokens(d)
                calls |= ast.calls_in(d)
            refs |= st.derived.get(v, frozenset())
        guard = Guard(text, frozenset(toks), frozenset(refs), frozenset(calls), truth, cond.location.line, loop)
        st.guards = st.guards + (guard,)
        return st

    # ---- expressions --------------------------------------------------------------------------
    def expr(self, c, st: State | None) -> State | None:
        if st is None or c is None:
            return st
        self.budget -= 1
        if self.budget < 0:
            return st
        k = c.kind
        if k in (K.LAMBDA_EXPR, K.STRING_LITERAL, K.INTEGER_LITERAL) or ast.is_sizeof(c):
            return st
        if k == K.CALL_EXPR:
            return self.call(c, st)
        if k == K.BINARY_OPERATOR:
            kids = ast.children(c)
            op = ast.binary_op(c)
            if op in ("&&", "||") and len(kids) == 2:
                st = self.expr(kids[0], st)
                if st is None:
                    return None
                right = self.refine(st.copy(), kids[0], op == "&&")
                right = self.expr(kids[1], right)
                if right is not None:
                    right.guards = st.guards
                return merge([st, right])
            if op == "=" and len(kids) == 2:
                st = self.expr(kids[1], st)
                st = self.lvalue(kids[0], st)
                if st is not None:
                    self.emit("assign", ast.base_var(kids[0]) or "", c, st, (kids[1],))
                    self.assign(st, kids[0], kids[1], c)
                return st
            if op in ARITH_OPS and len(kids) == 2:
                for kid in kids:
                    st = self.expr(kid, st)
                if st is not None:
                    self.emit("arith", op, c, st, tuple(kids))
                return st
        if k == K.COMPOUND_ASSIGNMENT_OPERATOR:
            kids = ast.children(c)
            for kid in kids[::-1]:
                st = self.expr(kid, st)
            if st is not None and len(kids) == 2:
                op = ast.binary_op(c)  # "+=", "*=", ...
                if op[:-1] in ARITH_OPS:
                    self.emit("arith", op, c, st, tuple(kids))
                self.emit("assign", ast.base_var(kids[0]) or "", c, st, (kids[1],))
                base = ast.base_var(kids[0])
                if base:
                    self.add_taint(st, base, taint_of(kids[1], st), ast.refs(kids[1]))
                    self.modified(st, kids[0], base)
            return st
        if k == K.CONDITIONAL_OPERATOR:
            kids = ast.children(c)
            if len(kids) == 3:
                st = self.expr(kids[0], st)
                if st is None:
                    return None
                a = self.expr(kids[1], self.refine(st.copy(), kids[0], True))
                b = self.expr(kids[2], self.refine(st.copy(), kids[0], False))
                out = merge([a, b])
                if out is not None:
                    out.guards = st.guards
                return out
        if k == K.UNARY_OPERATOR:
            kids = ast.children(c)
            st = self.expr(kids[0], st) if kids else st
            op = ast.unary_op(c) if kids else ""
            if st is not None and op == "*":
                self.emit("deref", ast.base_var(kids[0]) or "", c, st, obj=kids[0])
            elif st is not None and op in ("++", "--", "-"):
                self.emit("arith", op, c, st, (kids[0],))
                base = ast.base_var(kids[0]) if op != "-" else None
                if base:
                    self.modified(st, kids[0], base)
            return st
        if k == K.ARRAY_SUBSCRIPT_EXPR:
            kids = ast.children(c)
            for kid in kids:
                st = self.expr(kid, st)
            if st is not None and kids:
                self.emit("deref", ast.base_var(kids[0]) or "", c, st, tuple(kids[1:]), kids[0])
            return st
        if k == K.MEMBER_REF_EXPR:
            kids = ast.children(c)
            for kid in kids:
                st = self.expr(kid, st)
            if st is not None and kids and ast.is_pointer(kids[0]):
                self.emit("deref", ast.base_var(kids[0]) or "", c, st, obj=kids[0])
            return st
        if k == K.CXX_DELETE_EXPR:
            kids = ast.children(c)
            for kid in kids:
                st = self.expr(kid, st)
            if st is not None and kids:
                self.emit("call", "delete", c, st, (kids[0],))
                self.release(st, kids[0], c)
            return st
        if k == K.CXX_THROW_EXPR:
            for kid in c.get_children():
                st = self.expr(kid, st)
            return None
        for kid in c.get_children():
            st = self.expr(kid, st)
        return st

    def modified(self, st: State, target, base: str) -> None:
        """``target`` (``x``, ``p[i]``) was changed in place (``+=``, ``++``): its constant facts go
        (a pointer moved by ``p++`` no longer points to the start of its block)."""
        if ast.var_name(target):
            values.killed(st, base)
            self.forget_elements_at(st, base)
        else:
            values.forget(st, base)

    def lvalue(self, c, st: State | None) -> State | None:
        """Evaluate the parts of an assignment target that are read (``p`` in ``p[i] = x``)."""
        t = ast.strip(c)
        if st is None or t is None or t.kind == K.DECL_REF_EXPR:
            return st
        return self.expr(t, st)

    def release(self, st: State, ptr, c) -> None:
        base = ast.pointer_origin(ptr)  # free(p->buf) releases p->buf's block, not p
        if base:
            for v in st.aliases(base):
                st.freed[v] = c.location.line
        else:
            key = ast.path_key(ptr)
            if key:  # free(doc->title) also frees old after old = doc->title
                for v in st.aliases(key):
                    st.freed[v] = c.location.line

    def call(self, c, st: State) -> State | None:
        name = ast.call_name(c)
        args = ast.call_args(c)
        obj = ast.member_object(c)
        if obj is not None:
            st = self.expr(obj, st)
        for a in args:
            st = self.expr(a, st)
        if st is None:
            return None
        self.emit("call", name, c, st, args, obj)
        if name in self.no_return:
            return None
        if obj is not None or name == "operator+=" and args:  # s += x: the string is the first operand
            containers.called(st, name, obj if obj is not None else args[0], c.location.line, args)
        for k, a in enumerate(args):  # f(&p): the callee may store a new pointer in p
            a = ast.strip(a)
            if a is not None and a.kind == K.UNARY_OPERATOR and ast.unary_op(a) == "&":
                target = ast.var_name(ast.children(a)[0]) if ast.children(a) else None
                if target:
                    st.maybe_null.pop(target, None)
                    if name in NULL_OUT_ARGS and NULL_OUT_ARGS[name][0] == k:  # strsep(&p, ","): p may be NULL now
                        st.maybe_null[target] = name
        if name in FREES and len(args) > FREES[name]:
            self.release(st, args[FREES[name]], c)
        for pos in self.param_frees.get(name, ()):  # the file's own helper that frees its argument
            if pos < len(args):
                self.release(st, args[pos], c)
        if name in SOURCE_OUT_ARGS:
            for pos in SOURCE_OUT_ARGS[name]:
                targets = args[int(pos[1:]):] if isinstance(pos, str) else args[pos : pos + 1]
                for a in targets:
                    base = ast.base_var(a)
                    if base:
                        self.add_taint(st, base, frozenset({f"src:{name}"}), set())
        stream = stream_label(obj if obj is not None else (args[0] if args else None), st)
        if stream and (name == "operator>>" and len(args) == 2 or name in STREAM_READS):
            target = args[1] if name == "operator>>" else (args[0] if obj is not None and args else None)
            if name == "getline" and obj is None and len(args) >= 2:
                target = args[1]  # std::getline(stream, s)
            base = ast.base_var(target) if target is not None else None
            if base:
                self.add_taint(st, base, stream, set())
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
            labels = frozenset().union(*[taint_of(a, st) for a in srcs]) if srcs else frozenset()
            refs = set().union(*[ast.refs(a) for a in srcs]) if srcs else set()
            dests = pick(dest_pos)
            if name == "operator=" and dests and ast.var_name(dests[0]):
                self.kill(st, ast.var_name(dests[0]))
                containers.bind(st, ast.var_name(dests[0]), ast.strip(dests[0]), srcs[0] if srcs else None)
            for d in dests:
                while name in ("operator<<", "operator+") and ast.strip(d) is not None and (
                    ast.strip(d).kind == K.CALL_EXPR and ast.call_name(ast.strip(d)) == name
                ):
                    d = ast.call_args(ast.strip(d))[0]  # s << a << b: the stream is the leftmost operand
                base = ast.base_var(d)
                if base:
                    self.add_taint(st, base, labels, refs)
        values.called(st, name, args, c)
        return st


def walk_function(
    fn,
    param_names: tuple[str, ...],
    argv_names: tuple[str, ...],
    no_return: frozenset[str] = frozenset(),
    null_returning: frozenset[str] = frozenset(),
    param_frees: dict[str, tuple[int, ...]] | None = None,
    param_inputs: dict[str, frozenset[str]] | None = None,
) -> list[Event]:
    """Events of function definition ``fn``; parameters are tainted ``param:<name>``, the names in
    ``argv_names`` (main's argv/envp) ``src:argv``; calls to ``no_return`` (the file's own fatal-error
    helpers) end a path like ``exit``; results of ``null_returning`` (the file's own functions with
    a ``return NULL;``) may be NULL like ``malloc``'s; ``param_frees`` (function -> argument positions)
    are the file's own functions that free an argument; ``param_inputs`` (parameter -> ``src:``
    labels) are the parameters a call in the file passes input to."""
    st = State()
    for p in param_names:
        st.taint[p] = frozenset({f"param:{p}"}) | (param_inputs or {}).get(p, frozenset())
    for p in argv_names:
        st.taint[p] = frozenset({"src:argv"})
    body = next((x for x in fn.get_children() if x.kind == K.COMPOUND_STMT), None)
    it = Interp(no_return, null_returning, param_frees)
    if body is not None:
        it.stmt(body, st)
    return it.events
