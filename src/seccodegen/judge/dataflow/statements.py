"""Statements for the interpreter in :mod:`.interp`: blocks, ``if``, loops (walked twice),
``switch``, ``return``/``break``/``continue``/``goto`` and ``try``; see that module for the model."""

from __future__ import annotations

from dataclasses import replace

import clang.cindex as ci

from seccodegen.judge.dataflow import ast, values
from seccodegen.judge.dataflow.ast import DeclRefStandIn, for_parts
from seccodegen.judge.dataflow.facts import Guard, State, merge

K = ast.K


class StatementWalker:
    """Mixin of :class:`~seccodegen.judge.dataflow.interp.Interp`: ``expr``, ``refine``, ``assign``,
    ``kill``, ``emit`` and the ``loops``/``gotos``/``iteration``/``budget`` fields come from there."""

    # ---- statements ---------------------------------------------------------------------------
    def stmt(self, c, st: State | None) -> State | None:
        if st is None or c is None:
            return st
        self.budget -= 1
        if self.budget < 0:
            return st
        k = c.kind
        kids = ast.children(c)
        if k == K.COMPOUND_STMT:
            for kid in kids:
                if kid.kind == K.LABEL_STMT:
                    st = merge([st, *self.gotos.pop(kid.spelling, [])])
                elif st is None:
                    continue  # unreachable until a label
                st = self.stmt(kid, st)
            return st
        if k == K.DECL_STMT:
            for d in kids:
                if d.kind == K.VAR_DECL:
                    init = [x for x in d.get_children() if x.kind not in (K.TYPE_REF, K.NAMESPACE_REF,
                                                                          K.TEMPLATE_REF, K.INTEGER_LITERAL)
                            or x.kind == K.INTEGER_LITERAL and d.type.kind != ci.TypeKind.CONSTANTARRAY]
                    value = init[-1] if init else None
                    st = self.expr(value, st)
                    if st is None:
                        return None
                    self.kill(st, d.spelling)
                    if value is not None:
                        self.emit("assign", d.spelling, d, st, (value,))
                        self.assign(st, DeclRefStandIn(d), value, d)
            return st
        if k == K.IF_STMT:
            if kids and kids[0].kind in (K.DECL_STMT, K.VAR_DECL):
                st = self.stmt(kids[0], st) if kids[0].kind == K.DECL_STMT else st
                kids = kids[1:]
            if len(kids) < 2:
                return st
            cond, then, other = kids[0], kids[1], kids[2] if len(kids) > 2 else None
            st = self.expr(cond, st)
            if st is None:
                return None
            a = self.stmt(then, self.refine(st.copy(), cond, True))
            b = self.refine(st.copy(), cond, False)
            b = self.stmt(other, b) if other is not None else b
            if a is None and b is not None:
                b.checks = b.checks | {b.guards[len(st.guards)]} if len(b.guards) > len(st.guards) else b.checks
            if b is None and a is not None and len(a.guards) > len(st.guards):
                a.checks = a.checks | {a.guards[len(st.guards)]}
            out = merge([a, b])
            if out is not None and a is not None and b is not None:
                out.guards = st.guards
            return out
        if k in (K.WHILE_STMT, K.FOR_STMT, K.DO_STMT, K.CXX_FOR_RANGE_STMT):
            return self.loop(c, k, kids, st)
        if k == K.SWITCH_STMT:
            if len(kids) < 2:
                return st
            st = self.expr(kids[0], st)
            if st is None:
                return None
            entry = st
            self.loops.append({"break": [], "continue": [], "switch": []})
            cur, has_default = None, False
            body = kids[-1]
            for kid in (ast.children(body) if body.kind == K.COMPOUND_STMT else [body]):
                while kid.kind in (K.CASE_STMT, K.DEFAULT_STMT):
                    has_default |= kid.kind == K.DEFAULT_STMT
                    cur = merge([cur, entry.copy()])
                    sub = ast.children(kid)
                    if not sub:
                        break
                    kid = sub[-1]
                cur = self.stmt(kid, cur) if kid.kind not in (K.CASE_STMT, K.DEFAULT_STMT) else cur
            ctx = self.loops.pop()
            self.loops[-1]["continue"].extend(ctx["continue"]) if self.loops else None
            return merge([cur, *ctx["break"], None if has_default else entry])
        if k == K.RETURN_STMT:
            for kid in kids:
                st = self.expr(kid, st)
            if st is not None:
                self.emit("return", ast.base_var(kids[0]) or "" if kids else "", c, st, tuple(kids))
            return None
        if k == K.BREAK_STMT:
            if self.loops:
                self.loops[-1]["break"].append(st)
            return None
        if k == K.CONTINUE_STMT:
            for ctx in reversed(self.loops):
                if "switch" not in ctx:
                    ctx["continue"].append(st)
                    break
            return None
        if k == K.GOTO_STMT:
            label = next((x.spelling for x in kids if x.kind == K.LABEL_REF), "")
            self.gotos.setdefault(label, []).append(st)
            return None
        if k == K.LABEL_STMT:
            return self.stmt(kids[-1], st) if kids else st
        if k == K.CXX_TRY_STMT:
            outs = [self.stmt(kids[0], st.copy())] if kids else []
            for handler in kids[1:]:
                outs.append(self.stmt(ast.children(handler)[-1], st.copy()) if ast.children(handler) else st)
            return merge(outs)
        return self.expr(c, st)

    def next_element(self, st: State, var, container, c) -> None:
        """The range-for variable ``var`` takes the next element of ``container``. A pointer
        element (``for (P *p : players)``) is a value copied out of the container, not a pointer
        into its storage: freeing it frees the element's object, not the container; where the pass
        before freed it, every element is freed (``container[]``: ``items[0]->name`` after
        ``for (Item *it : items) delete it;`` reads freed memory)."""
        owner = ast.path_key(container)
        if owner and var.spelling in st.freed:  # the last element was freed: so is each one
            st.freed[owner + "[]"] = st.freed[var.spelling]
        self.kill(st, var.spelling)
        self.assign(st, DeclRefStandIn(var), container, c)
        if var.type.get_canonical().kind == ci.TypeKind.POINTER:
            st.unshare(var.spelling)

    def loop(self, c, k, kids, st: State) -> State | None:
        init = cond = inc = var = None
        body = kids[-1] if kids else None
        if k == K.WHILE_STMT:
            cond = kids[0] if len(kids) > 1 else None
        elif k == K.DO_STMT:
            body, cond = (kids[0], kids[1]) if len(kids) > 1 else (body, None)
        elif k == K.CXX_FOR_RANGE_STMT:
            var = next((x for x in kids if x.kind == K.VAR_DECL), None)
            rng = [x for x in kids[:-1] if x.kind != K.VAR_DECL]
            st = self.expr(rng[-1], st) if rng else st
            if st is not None and var is not None and rng:
                self.next_element(st, var, rng[-1], c)
        else:
            init, cond, inc = for_parts(c, kids)
            st = self.stmt(init, st)
            for d in (init.get_children() if init is not None and init.kind == K.DECL_STMT else ()):
                if st is not None and d.kind == K.VAR_DECL:  # for (int i = 0; ...) after another loop's i:
                    st.checks = frozenset(_renamed(g, d.spelling) for g in st.checks)  # its exits bound that one
        exits: list[State | None] = []
        outer = self.iteration
        cur = st
        writes = values.loop_writes(c)
        for it in (1, 2):
            self.iteration = it
            if cur is None:
                break
            cur = cur.copy()
            values.loop_entered(cur, writes)  # a pass starts from any iteration's values
            if k == K.CXX_FOR_RANGE_STMT and it == 2 and var is not None and rng:
                self.next_element(cur, var, rng[-1], c)  # for (P *p : v) delete p; frees each element once
            if cond is not None and k != K.DO_STMT:
                cur = self.expr(cond, cur)
                if cur is None:
                    break
                left = self.refine(cur.copy(), cond, False)
                guards = cur.guards
                cur = self.refine(cur.copy(), cond, True, loop=True)
                left.left = left.left | {(cur.guards[-1], frozenset(writes[0]))}  # the condition as it held
                exits.append(left)
            else:
                guards = cur.guards
            self.loops.append({"break": [], "continue": []})
            cur = self.stmt(body, cur)
            ctx = self.loops.pop()
            cur = merge([cur, *ctx["continue"]])
            exits.extend(ctx["break"])
            if cur is not None and k == K.DO_STMT and cond is not None:
                cur = self.expr(cond, cur)
                if cur is not None:
                    exits.append(cur.copy())
            cur = self.expr(inc, cur)
            if cur is not None:
                cur.guards = guards
        self.iteration = outer
        if k == K.CXX_FOR_RANGE_STMT:
            exits += [st, cur]  # zero or more iterations
        elif k == K.DO_STMT and cond is None:
            exits.append(cur)
        out = merge(exits)  # for (;;) / while (1) leave only through break (or return)
        if out is not None and st is not None:
            out.guards = st.guards
        return out


def _renamed(g: Guard, var: str) -> Guard:
    """Check ``g`` with the earlier variable ``var`` renamed away (``i`` -> ``i__earlier``): a new variable
    of that name is declared, which the check says nothing of; what it says of the others holds."""
    words = g.text.split()
    if var not in words:
        return g
    old = f"{var}__earlier"  # an identifier still, so the comparison reads as before
    return replace(
        g,
        text=" ".join(old if w == var else w for w in words),
        tokens=(g.tokens - {var}) | {old},
        vars=g.vars - {var},
        unsigned_compared=g.unsigned_compared - {var},
    )
