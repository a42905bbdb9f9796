"""Walk one function's AST in execution order, carrying a :class:`State`, and record events.

An abstract interpreter over *structured* code: ``if``/``else`` and ``?:``/``&&``/``||`` run both
branches on copies of the state and join them (:func:`merge`); a branch ending in ``return``,
``break``, ``continue``, ``goto``, ``throw`` or a no-return call (``exit``, ``abort``, a failed
``assert``) does not flow on, so ``if (!p) return;`` leaves the rest of the block guarded by
``p``. Loop bodies are walked twice, so effects of one iteration (a ``free``) reach the next.
``switch`` joins every ``case`` with the state before the switch (statements: :mod:`.statements`).
What a call does to the state: :mod:`.call_effects`. Calls into the file's own functions use
the facts of :mod:`.summaries` (never returns, may return NULL, frees a parameter, returns or
stores through a parameter input it read itself) and nothing else. Not modelled: backward ``goto``,
``setjmp``, lambdas' bodies, exceptions thrown by callees.
"""

from __future__ import annotations

from seccodegen.judge.dataflow import ast, containers, values
from seccodegen.judge.dataflow.ast import nonnull_when
from seccodegen.judge.dataflow.call_effects import CallEffects
from seccodegen.judge.dataflow.facts import Event, Guard, State, merge, taint_of, with_checks
from seccodegen.judge.dataflow.guard_kinds import flag_values, position_searches, unsigned_compared
from seccodegen.judge.dataflow.models import MAY_RETURN_NULL, NO_RETURN, SOURCE_OUT_ARGS
from seccodegen.judge.dataflow.statements import StatementWalker
from seccodegen.judge.dataflow.summaries import OwnFunctions

K = ast.K
# glibc's isdigit(c) & co. expand to (*__ctype_b_loc())[(int)(c)]: a table of 384 entries made
# for every value a character or EOF takes, no array of the program's
CTYPE_TABLES = {"__ctype_b_loc", "__ctype_tolower_loc", "__ctype_toupper_loc"}
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


class Interp(StatementWalker, CallEffects):
    def __init__(self, own: OwnFunctions) -> None:
        self.param_frees = own.param_frees
        self.field_frees = own.field_frees
        self.global_stores = own.global_stores
        self.global_frees = own.global_frees
        self.writes_input = own.writes_input
        self.check_tokens = own.check_tokens
        self.constant_returns = own.constant_returns
        self.no_return = NO_RETURN | own.no_return
        self.may_return_null = MAY_RETURN_NULL | own.null_returning
        self.events: list[Event] = []
        self.loops: list[dict[str, list[State]]] = []  # innermost last: {"break": [...], "continue": [...]}
        self.gotos: dict[str, list[State]] = {}
        self.defs: dict[str, object] = {}  # var -> the value last assigned to it, in walk order
        self.addresses: dict[str, set[str]] = {}  # pointer -> the locations whose address it got
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
        st.unshare(var)
        st.taint.pop(var, None)
        st.derived.pop(var, None)
        for k in [k for k in st.maybe_null if k == var or k.startswith((var + "->", var + ".", var + "["))]:
            del st.maybe_null[k]  # and the fields and elements of what it pointed to
        self.forget_elements_at(st, var)
        self.forget_freed(st, var)
        values.killed(st, var)
        for v in [v for v, (flag, _) in st.freed_when.items() if flag == var]:
            del st.freed_when[v]  # the flag changes: its old value no longer tells the paths apart
        if st.left:
            st.left = frozenset(x for x in st.left if var not in x[1])

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
        moved = self.moved_block(st, value) if value is not None else frozenset()
        if name is None:  # element/field/pointee write: weak update of the base variable
            key = ast.path_key(target)
            self.free_moved(st, moved - {key}, value)
            if key:  # the location holds a new pointer: not freed, no longer shared with a variable
                self.forget_freed(st, key)
                self.written_through(st, t)
                st.unshare(key)
                other = ast.pointer_origin(ast.strip(value)) if value is not None and ast.is_pointer(target) else None
                if other and other != key:  # d.title = t: the field and t share memory (free(t) frees it)
                    st.share(key, other)
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
        self.free_moved(st, moved - {name}, value)
        if (v := ast.strip(value)) is not None and v.kind == K.UNARY_OPERATOR and ast.unary_op(v) == "&":
            if pointee := ast.path_key(ast.children(v)[0]) if ast.children(v) else None:
                self.addresses.setdefault(name, set()).add(pointee)  # link = &head
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
        self.result_flag(st, name, v, c)
        if source := self.null_source(value):
            st.maybe_null[name] = source
        elif ast.is_null_literal(value) and ast.is_pointer(t):
            st.maybe_null[name] = "NULL"
        elif ast.is_pointer(t):
            # q = p / p + n / &p[i] / buf: same memory; q = s->buf / *pp: q holds that location's
            # pointer (freeing either frees both)
            other = ast.pointer_origin(v) or (ast.path_key(v) if ast.is_pointer(v) else None)
            if other and other != name:  # q = p, q = p + n, q = &buf[0], q = s.c_str(): same memory
                st.share(name, other)
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
        for var in nonnull_when(cond, not truth):  # NULL here, if the condition is only that test
            self.realloc_failed(st, var)
        if st.freed_when:
            self.flag_tested(st, flag_values(ast.tokens(cond), truth))
        # a condition on a flag or a copy (``ok = isalnum(c); if (!ok)``) is read through the flag's
        # definition: its text and calls join the guard's, and the variables it was computed from
        toks, refs, calls = ast.tokens(cond), set(ast.refs(cond)), set(ast.calls_in(cond)) - position_searches(cond)
        text = " ".join(toks)
        for v in list(refs):
            d = self.defs.get(v)
            if d is not None:
                searches = position_searches(d)
                toks += [t for t in ast.tokens(d) if t not in searches]
                calls |= ast.calls_in(d) - searches
            refs |= st.derived.get(v, frozenset())
        pointers = frozenset(ast.var_name(r) for r in cond.walk_preorder() if r.kind == K.DECL_REF_EXPR and ast.is_pointer(r))
        helpers = frozenset().union(*(self.check_tokens.get(name, frozenset()) for name in calls))
        guard = Guard(
            text, frozenset(toks), frozenset(refs), frozenset(calls), truth, cond.location.line, loop, pointers,
            unsigned_compared(cond), helpers,
        )  # fmt: skip
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
            if st is not None and kids and not ast.calls_in(kids[0]) & CTYPE_TABLES:
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

    def call(self, c, st: State) -> State | None:
        name = ast.call_name(c)
        args = ast.call_args(c)
        obj = ast.member_object(c)
        if obj is not None:
            st = self.expr(obj, st)
        callee = ast.strip(next(iter(c.get_children()), None))
        if callee is not None and callee.kind in (K.ARRAY_SUBSCRIPT_EXPR, K.UNARY_OPERATOR):
            st = self.expr(callee, st)  # handlers[op](&acc): the table is read first
            if st is None:
                return None
        for a in args:
            st = self.expr(a, st)
        if st is None:
            return None
        self.emit("call", name, c, st, args, obj)
        if name in self.no_return:
            return None
        self.call_effects(st, c, name, args, obj)
        return st


def walk_function(
    fn,
    param_names: tuple[str, ...],
    argv_names: tuple[str, ...],
    own: OwnFunctions = OwnFunctions(),
    param_inputs: dict[str, frozenset[str]] | None = None,
    param_checks: dict[str, frozenset[str]] | None = None,
) -> list[Event]:
    """Events of function definition ``fn``; parameters are tainted ``param:<name>``, the names in
    ``argv_names`` (main's argv/envp) ``src:argv``; ``own``: what is known of the file's own
    functions where they are called; ``param_inputs`` (parameter -> ``src:`` labels) are the
    parameters a call in the file passes input to; ``param_checks`` (parameter -> check kinds)
    the checks every call made on its argument (``param:name@path``)."""
    st = State(returns=own.returns_input, table_returns=own.table_returns)
    for p in param_names:
        label = with_checks(f"param:{p}", (param_checks or {}).get(p, frozenset()))
        st.taint[p] = frozenset({label}) | (param_inputs or {}).get(p, frozenset())
    for p in argv_names:
        st.taint[p] = frozenset({"src:argv"})
    for g, labels in own.global_inputs.items():  # text another function read into a global buffer
        if g not in param_names and g not in argv_names:
            st.taint[g] = labels
    body = next((x for x in fn.get_children() if x.kind == K.COMPOUND_STMT), None)
    it = Interp(own)
    if fn.kind == K.CONSTRUCTOR:  # the member initializers run first: storage_(new char[count * size])
        for init in fn.get_children():
            if init.kind.is_expression() and init.kind != K.MEMBER_REF:
                it.stmt(init, st)
    if body is not None:
        it.stmt(body, st)
    return it.events
