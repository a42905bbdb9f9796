"""C++ containers whose storage moves: references, pointers and iterators into a ``std::vector``,
``std::string`` or ``std::deque`` that a reallocating call leaves dangling (CWE-416).

``Task& parent = tasks[i]; tasks.push_back(t); parent.count++;`` writes through a reference into
the vector's old buffer once ``push_back`` had to grow it: a use after free that AddressSanitizer
reports as ``heap-use-after-free``. The core records, per path (:class:`~.facts.State`):

* a *borrow* when a reference, pointer or iterator variable is bound to a container's element
  storage: ``T& r = v[i]`` / ``v.at(i)`` / ``v.front()`` / ``v.back()``, ``T* p = &v[i]`` /
  ``v.data()`` / ``s.c_str()``, ``auto it = v.begin()`` / ``v.end()`` / ``v.find(x)`` /
  ``std::find(v.begin(), ...)``, and a range-for's ``auto& x : v``;
* an *invalidation* of every borrow of ``v`` at a call that may reallocate or remove elements:
  ``push_back``, ``emplace_back``, ``insert``, ``emplace``, ``resize``, ``reserve``, ``clear``,
  ``erase``, ``assign``, ``shrink_to_fit``, ``append``, ``operator+=`` (strings), ``pop_back``.

In a node-based container (``std::list``, ``std::map``, ``std::set`` and their unordered kin)
elements never move: only ``c.erase(it)`` invalidates, and only the iterator it erased
(``c.erase(it++)`` moved it on first), and ``clear()`` invalidates every borrow.
Rebinding the variable (``it = v.erase(it)``) ends both; assigning to a reference
(``r = v.back()``) writes through it and is a use. The ``invalidated-reference`` query
reports a later use. Not modelled: containers reached through fields or pointers
(``obj.items``, ``p->items``), borrows passed into or returned from functions, and whether the
capacity suffices (``reserve`` first, then ``push_back`` within it, is still reported, as CodeQL's
``cpp/iterator-to-expired-container`` family would not prove it safe either).
"""

from __future__ import annotations

import clang.cindex as ci

from seccodegen.judge.dataflow import ast

K = ci.CursorKind
CONTAINER_TYPES = ("std::vector<", "std::basic_string<", "std::__cxx11::basic_string<", "std::deque<")
# node-based containers: an element stays where it is until it is erased, so ``erase(it)``
# invalidates ``it`` alone (and ``clear()`` every borrow), and inserting moves nothing
NODE_CONTAINER_TYPES = ("std::list<", "std::__cxx11::list<", "std::forward_list<", "std::map<", "std::multimap<",
                        "std::set<", "std::multiset<", "std::unordered_map<", "std::unordered_set<",
                        "std::unordered_multimap<", "std::unordered_multiset<")  # fmt: skip
# calls whose result points into a container's elements: members, and std:: searches over its iterators
ELEMENT_ACCESS = {"operator[]", "at", "front", "back", "begin", "end", "cbegin", "cend", "rbegin", "rend",
                  "find", "data", "c_str", "find_if", "lower_bound", "upper_bound"}  # fmt: skip
INVALIDATING = {"push_back", "emplace_back", "insert", "emplace", "resize", "reserve", "clear", "erase",
                "assign", "shrink_to_fit", "append", "operator+=", "pop_back", "push_front", "emplace_front"}  # fmt: skip


def _type_spelling(c) -> str:
    return c.type.get_canonical().spelling.removeprefix("const ")


def is_keyed(c) -> bool:
    """``c`` is a map (``std::map``, ``std::unordered_map`` and kin): its ``operator[]`` takes a key,
    not a position, and inserts what is missing."""
    return c is not None and "map<" in _type_spelling(c).split(",")[0] and _type_spelling(c).startswith(NODE_CONTAINER_TYPES)


def is_container(c) -> bool:
    """``c``'s type is a std::vector/std::string/std::deque or a node-based container (list,
    map, set and their unordered kin), const-qualified or not."""
    return c is not None and _type_spelling(c).startswith(CONTAINER_TYPES + NODE_CONTAINER_TYPES)


def _container_var(c) -> str | None:
    """The container variable ``c`` names (``v``), if it is one."""
    c = ast.strip(c)
    if c is None or c.kind != K.DECL_REF_EXPR or not is_container(c):
        return None
    return ast.var_name(c)


def storage_of(value) -> str | None:
    """The container whose element storage ``value`` points into: ``v[i]``, ``&v[i]``,
    ``v.begin()``, ``std::find(v.begin(), ...)``, ``*v.begin()``, or ``v`` itself (a range-for)."""
    c = ast.strip(value)
    while c is not None and c.kind in (K.UNARY_OPERATOR, K.PAREN_EXPR) and ast.children(c):
        c = ast.strip(ast.children(c)[0])  # &v[i], *v.begin(), (v[i])
    if c is None:
        return None
    if c.kind == K.DECL_REF_EXPR:
        return _container_var(c)
    if c.kind != K.CALL_EXPR:
        return None
    name = ast.call_name(c)
    if name not in ELEMENT_ACCESS:
        return None
    obj = ast.member_object(c)
    args = ast.call_args(c)
    if obj is not None:
        return _container_var(obj)
    if name == "operator[]" and args:
        return _container_var(args[0])
    return storage_of(args[0]) if args else None  # std::find(v.begin(), v.end(), x)


def binds(target) -> bool:
    """``target`` (a declared or assigned variable) can hold a borrow: a reference, a pointer or
    an iterator."""
    t = target.type
    kind = t.kind
    if kind in (ci.TypeKind.LVALUEREFERENCE, ci.TypeKind.RVALUEREFERENCE, ci.TypeKind.POINTER):
        return True
    spelling = t.get_canonical().spelling
    return "iterator" in spelling or "__normal_iterator" in spelling


def writes_through(target) -> bool:
    """``target`` is a reference variable assigned after its declaration: ``r = x`` writes the
    element ``r`` refers to; it does not rebind ``r``."""
    if target is None or isinstance(target, ast.DeclRefStandIn) or target.kind != K.DECL_REF_EXPR:
        return False
    decl = target.referenced
    return decl is not None and decl.type.kind in (ci.TypeKind.LVALUEREFERENCE, ci.TypeKind.RVALUEREFERENCE)


def bind(st, name: str, target, value) -> None:
    """After ``name = value`` (``target`` is the variable's cursor): record or end a borrow."""
    if writes_through(target):
        return
    st.borrows.pop(name, None)
    st.invalid.pop(name, None)
    if value is None or not binds(target):
        return
    container = storage_of(value)
    if container:
        st.borrows[name] = container


def called(st, name: str, obj, line: int, args=()) -> None:
    """A member call ``obj.name(...)``: a reallocating one invalidates every borrow of ``obj``; on a
    node-based container ``erase(it)`` invalidates ``it`` (not ``it = c.erase(it)``, which rebinds
    it, nor ``c.erase(it++)``, which moved it on first) and ``clear()`` every borrow."""
    if name not in INVALIDATING:
        return
    container = _container_var(obj)
    if container is None:
        return
    if _type_spelling(ast.strip(obj)).startswith(NODE_CONTAINER_TYPES):
        if name == "erase" and args:
            names = ast.refs(args[0])  # the iterator, maybe through a const_iterator conversion
            moved = "++" in ast.tokens(args[0]) or "--" in ast.tokens(args[0])
            erased = next(iter(names)) if len(names) == 1 and not moved else None
            if erased and st.borrows.get(erased) == container:
                st.invalid.setdefault(erased, line)
        if name != "clear":
            return
    for var, of in st.borrows.items():
        if of == container:
            st.invalid.setdefault(var, line)
