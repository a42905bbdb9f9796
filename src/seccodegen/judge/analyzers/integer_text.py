"""Text-level facts about integer values, for ``seccodegen-checks`` (CWE-190 and its range checks).

A body of C/C++ source text is searched with regular expressions: which names are constants,
which literals a name is compared with, whether a product is computed in a narrow (32-bit) type
or in ``size_t``/64 bits, and whether a converted value is range-checked at both ends.
"""

from __future__ import annotations

import ast as pyast
import operator
import re

INT_LITERAL = re.compile(r"\s*[-+]?\s*(?:0[xX][0-9a-fA-F]+|\d+)[uUlL]*\s*")
MEASURES = re.compile(r"\b(?:strlen|strnlen|wcslen|sizeof)\b|\.\s*(?:size|length)\s*\(")
OVERFLOW_GUARD = re.compile(r"numeric_limits|\b[A-Z][A-Z0-9_]*_MAX\b|__builtin_\w+_overflow|\w\s*/\s*[\w(]")
NARROW_DECL = re.compile(
    r"\b(?:int|unsigned|unsigned\s+int|short|long|int32_t|uint32_t)\s+(\w+)\s*=\s*([^;]*\w\s*\*\s*\w[^;]*);"
)
ALLOC_CALL = re.compile(r"\b(?:malloc|alloca|realloc)\s*\(([^;]*)\)\s*;|\bnew\s+[\w:]+\s*\[([^\]]*)\]")
# a factor converted to a 64-bit type first: (long long)w * h, static_cast<size_t>(n) * k, 1LL * w * h
WIDE_FACTOR = re.compile(
    r"\(\s*(?:(?:unsigned\s+)?long(?:\s+long)?|u?int64_t|size_t|ptrdiff_t|double)\s*\)"
    r"|static_cast\s*<\s*(?:(?:unsigned\s+)?long(?:\s+long)?|(?:std::)?u?int64_t|(?:std::)?size_t)\s*>"
    r"|\b\d+(?:[uU]?[lL]{2}|[lL]{2}[uU]?|[uU]?[lL]|[lL][uU])\s*\*"
)
INT_ACC_DECL = re.compile(r"\bint\s+(\w+)\s*=\s*0\s*;")
# an integer literal, or literals joined by ``<<``, ``*``, ``+``, ``-`` and parentheses
# (``1u << 20``, ``(64 * 1024)``), evaluated by ``literal_value``
_LIT = rb"(?:0[xX][0-9a-fA-F]+|\d+)[uUlL]*"
_CONST_EXPR = rb"((?:\(|[ \t])*" + _LIT + rb"(?:(?:\)|[ \t])*(?:<<|\*|\+|-)(?:\(|[ \t])*" + _LIT + rb")*(?:\)|[ \t])*)"
DEFINE = re.compile(
    rb"^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+" + _CONST_EXPR + rb"[ \t]*(?:/[*/].*)?$",
    re.M,
)


# a file-scope integer constant: ``const int MAX_SIDE = 1024;``, ``static constexpr size_t kRows = 64;``
# (unindented: a local of the same form may change with its block)
CONST_DECL = re.compile(
    rb"^(?:static[ \t]+)?(?:const|constexpr)[ \t]+(?:static[ \t]+)?(?:unsigned[ \t]+|signed[ \t]+)?"
    rb"(?:int|long|short|size_t|std::size_t|u?int(?:8|16|32|64)_t|std::u?int(?:8|16|32|64)_t)[ \t]+"
    rb"(\w+)[ \t]*=[ \t]*" + _CONST_EXPR + rb"[ \t]*;",
    re.M,
)


def define_values(source: bytes) -> dict[str, int]:
    """The ``#define NAME 123`` integer macros of a source file's text, and its file-scope integer
    constants (``const int MAX_SIDE = 1024;``)."""
    found = [*DEFINE.finditer(source), *CONST_DECL.finditer(source)]
    values = {m.group(1).decode(): literal_value(m.group(2).decode()) for m in found}
    return {name: value for name, value in values.items() if value is not None}


def literal_value(text: str) -> int | None:
    """The value of integer literals joined by ``<<``, ``*``, ``+``, ``-`` and parentheses (C's
    precedence, which Python's shares for these operators); None for unbalanced text or a shift
    past 64 bits (no C constant)."""
    plain = re.sub(r"(?<=[0-9a-fA-F])[uUlL]+\b", "", text)
    plain = re.sub(r"\b0([0-7]+)\b", r"0o\1", plain)  # C octal
    try:
        tree = pyast.parse(plain.strip(), mode="eval").body
    except SyntaxError:
        return None
    return _evaluate(tree)


def _evaluate(node: pyast.AST) -> int | None:
    if isinstance(node, pyast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, pyast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if left is None or right is None or (isinstance(node.op, pyast.LShift) and not 0 <= right < 64):
            return None
        return _OPERATORS[type(node.op)](left, right)
    return None


_OPERATORS = {pyast.LShift: operator.lshift, pyast.Mult: operator.mul, pyast.Add: operator.add, pyast.Sub: operator.sub}


def constant(name: str, body: str) -> bool:
    """``name`` is an ALL-CAPS macro/enumerator, or a local only ever assigned integer literals
    (never incremented, compound-assigned or passed by address)."""
    if name.isupper() or name == "sizeof":
        return True
    e = re.escape(name)
    if re.search(
        rf"(?<!&)&\s*{e}\b|\b{e}\s*(?:\+\+|--)|(?:\+\+|--)\s*{e}\b|\b{e}\s*(?:[-+*/%&|^]|<<|>>)=", body
    ):
        return False
    values = re.findall(rf"\b{e}\s*=(?!=)\s*([^;,]*)", body)
    return bool(values) and all(INT_LITERAL.fullmatch(v) for v in values)


# ``name`` on the left of a relational operator (not p->name, p.name, not name <<) / on its right
# (not a << name, p->name); {e} is the escaped name
COMPARED_LEFT = r"(?<![\w.>]){e}\s*(?:<=|>=|<(?![<=])|>(?![>=]))"
COMPARED_RIGHT = r"(?:<=|>=|(?<!<)<|(?<![>\-])>)\s*{e}\b"


def literal_bound(name: str, body: str, macros: dict[str, int] | None = None) -> int | None:
    """The largest decimal literal above 1 (or ``#define``'d constant, ``macros``) that ``name`` is
    compared with (``<``, ``<=``, ``>``, ``>=``, either side) in ``body``; None when there is none.
    A size checked against a literal (``items > 1000000``, ``w > MAX_DIM``) is taken to be
    limited to it; 0 and 1 are lower ends (``n < 0``)."""
    e = re.escape(name)
    macros = macros or {}
    found = re.findall(COMPARED_LEFT.format(e=e) + r"\s*(\d+|[A-Z][A-Z0-9_]*)[uUlL]*\b", body)
    found += re.findall(r"\b(\d+|[A-Z][A-Z0-9_]*)[uUlL]*\s*" + COMPARED_RIGHT.format(e=e), body)
    values = [int(v) if v.isdigit() else macros.get(v) for v in found]
    bounds = [v for v in values if v is not None and v > 1]
    return max(bounds) if bounds else None


def product_fits_int(product: str, body: str, macros: dict[str, int] | None = None) -> bool:
    """Every factor of ``product`` (a ``*`` chain of names and integer literals) is a literal or
    a name compared with a literal, and the product of those bounds fits a 32-bit int."""
    total = 1
    for factor in re.split(r"\*", product):
        factor = factor.strip().strip("()").strip()
        if re.fullmatch(r"\d+[uUlL]*", factor):
            bound = int(factor.rstrip("uUlL"))
        elif re.fullmatch(r"[A-Za-z_]\w*(?:(?:\.|->)[A-Za-z_]\w*)*", factor):  # n, s.rows, img->w
            bound = literal_bound(factor, body, macros)
            if bound is None:
                return False
        else:
            return False
        total *= bound
    return total < 2**31


def size_t_product(expr: str, body: str) -> bool:
    """``expr`` is computed in ``size_t``, not a narrow type: one of its operands is a length or
    size (``strlen(s)``, ``s.size()``, ``sizeof``) or a variable the body declares ``size_t``
    (``size_t len = strlen(s); malloc(len * times + 1)``: ``times`` converts to ``size_t``)."""
    if MEASURES.search(expr):
        return True
    names = set(re.findall(r"\b[A-Za-z_]\w*\b", expr))
    return any(re.search(rf"\b(?:std::)?size_t\s+(?:const\s+)?{re.escape(v)}\b", body) for v in names)


def assigned_name(statement: str) -> str | None:
    """The variable a statement assigns (``long n = atol(s)``, ``n = std::stol(s)``), if any."""
    m = re.match(r"\s*(?:[\w:<>]+\s+)*?(\w+)\s*=(?!=)", statement)
    return m.group(1) if m else None


# a C++ string's characters: `atoi(text.c_str())` converts `text`
C_STR = r"(?:\.\s*c_str\s*\(\s*\)\s*)?"

# a numeric local's declaration: `long quantity;`, `unsigned int n = 0,`, `double x{}` ({e}: its name)
NUMERIC_DECL = (
    r"\b(?:(?:unsigned|signed|short|long|int|double|float|(?:std::)?size_t|(?:std::)?u?int(?:8|16|32|64)_t)\s+)+"
    r"(?:\w+\s*(?:=[^;,]*)?,\s*)*{e}\s*[;=,{{)]"
)


def stream_parsed_numbers(param: str, statement: str, body: str) -> list[str]:
    """The numeric locals ``statement`` reads with ``>>`` from a string stream made of ``param``
    (``std::istringstream in(text); in >> n;``, ``std::istringstream(text) >> n``): "12abc" is
    read as 12 and "-5" as -5, as by ``atoi``; the stream fails only on text that does not start
    with a number."""
    p = re.escape(param)
    streams = re.findall(rf"\b(?:std::)?i?stringstream\s+(\w+)\s*[({{]\s*{p}\s*[)}}]", body)
    sources = [re.escape(s) for s in streams] + [rf"(?:std::)?i?stringstream\s*[({{]\s*{p}\s*[)}}]"]
    names: list[str] = []
    for source in sources:
        # not `!in >> n`: that shifts the negated stream's bool by n and reads nothing
        for m in re.finditer(rf"(?:^|[^\w.>!\s])\s*{source}((?:\s*>>\s*\w+)+)", statement):
            names += re.findall(r">>\s*(\w+)", m.group(1))
    return [n for n in names if _numeric_local(n, body)]


def _numeric_local(name: str, body: str) -> bool:
    return re.search(NUMERIC_DECL.format(e=re.escape(name)), body) is not None


def with_text_copies(params: list[str], body: str) -> list[str]:
    """``params`` and the locals ``body`` initialises with one of them unchanged (``std::string
    quantity_str = quantity_text;``, ``const char *s = text;``): the text a conversion reads."""
    names = list(params)
    for p in params:
        names += re.findall(
            rf"\b(?:(?:const\s+)?(?:std::)?string\s*&?|auto\s*&?|(?:const\s+)?char\s*\*)\s*(\w+)\s*=\s*{re.escape(p)}\s*;", body
        )
    return names


def converted_numbers(param: str, statement: str, body: str) -> list[str | None]:
    """The values ``statement`` converts from ``param``: the variable an ``atoi``-family call
    (also of ``text.c_str()``) or a ``std::stoi``/``stol`` is assigned to (its position argument,
    ``std::stol(text, &pos)``, lets the caller reject trailing text, not a value out of range:
    "-5" is read whole); else the numeric locals ``sscanf`` fills (``sscanf(text, "%d,%d", &r, &c)``), the
    variable a ``strtol``-family call is assigned to (``long v = strtol(text, &end, 10)``), and
    what is read from a string stream of it (:func:`stream_parsed_numbers`). A value used at once
    is named by the call's text (``atoi(t) >= 1 && atoi(t) <= 9``); None where a ``stoi`` result
    is not assigned."""
    p = re.escape(param)
    atoi = re.search(rf"\b(?:std::)?ato(?:i|l|ll|f)\s*\(\s*{p}\s*{C_STR}\)", statement)
    if atoi or re.search(rf"(?<![\w.>:])(?:std::)?sto(?:i|l|ll|ul|ull)\s*\(\s*{p}[^;]*\)\s*;", statement):
        return [assigned_name(statement) or (atoi.group(0) if atoi else None)]
    names: list[str | None] = []
    for m in re.finditer(rf"\bsscanf\s*\(\s*{p}\s*{C_STR},\s*\"[^\"]*\"([^;]*)", statement):
        names += [n for n in re.findall(r"&\s*(\w+)", m.group(1)) if _numeric_local(n, body)]
    call = re.search(rf"\b(?:std::)?strto(?:l|ll|ul|ull|d|f|ld|imax|umax)\s*\(\s*{p}\b\s*{C_STR}[^();]*\)", statement)
    if call:
        names.append(assigned_name(statement) or call.group(0))
    return names + stream_parsed_numbers(param, statement, body)


def range_checked(name: str | None, body: str) -> bool:
    """``name`` is compared (``<``, ``<=``, ``>``, ``>=``) at least twice in ``body``: a range check
    with two ends (``port < 1 || port > 65535``; ``amount <= 0`` then ``balance < amount``). A
    conversion whose result is range-checked that way yields only values the check allows: a
    lenient parse ("80abc" read as 80) is then no weakness that the program's use of the value shows."""
    if not name:
        return False
    e = re.escape(name)
    right_pattern = COMPARED_RIGHT.removesuffix(r"\b") if name.endswith(")") else COMPARED_RIGHT  # a call's text
    left = re.findall(COMPARED_LEFT.format(e=e), body)
    right = re.findall(right_pattern.format(e=e), body)
    return len(left) + len(right) >= 2


def narrow_product(statement: str, body: str, macros: dict[str, int] | None = None) -> bool:
    """``statement`` declares a narrow integer, or sizes an allocation, with a product of
    non-constants computed in 32 bits, in a function (``body``) with no overflow guard; the
    file's integer macros (``macros``) bound the factors compared with them."""
    if OVERFLOW_GUARD.search(body):
        return False
    decl = NARROW_DECL.search(statement)
    if (
        decl
        and not WIDE_FACTOR.search(decl.group(2))
        and not all(constant(v, body) for v in re.findall(r"\b[A-Za-z_]\w*\b", decl.group(2)))
        and not product_fits_int(decl.group(2), body, macros)
    ):
        return True
    alloc = ALLOC_CALL.search(statement)
    expr = alloc and (alloc.group(1) or alloc.group(2) or "")
    return bool(
        expr
        and re.search(r"[A-Za-z_)]\s*\*\s*[A-Za-z_(]", expr)
        and "size_t" not in expr
        and not WIDE_FACTOR.search(expr)
        and not size_t_product(expr, body)
        and not product_fits_int(expr, body, macros)
    )


def int_accumulators(body: str) -> list[tuple[int, str]]:
    """(line offset, name) of each ``int`` declared 0 and summed with ``+=`` in a function that
    loops and has no overflow guard, and that no comparison reads (``if (size > LIMIT - total)``
    checks the total before it grows)."""
    if OVERFLOW_GUARD.search(body) or not re.search(r"\b(?:for|while)\b", body):
        return []
    return [
        (body[: m.start()].count("\n"), m.group(1))
        for m in INT_ACC_DECL.finditer(body)
        if re.search(rf"\b{m.group(1)}\s*\+=", body) and not compared(m.group(1), body)
    ]


def compared(name: str, body: str) -> bool:
    """``name`` stands in a comparison (``<``, ``<=``, ``>``, ``>=``), alone or inside an operand
    of one (``size > LIMIT - total``): within the same statement or condition as the operator."""
    e = re.escape(name)
    relational = r"(?:<=|>=|(?<![<-])<(?![<])|(?<![>-])>(?![>]))"
    return re.search(rf"{relational}[^;{{}}&|?]*\b{e}\b|\b{e}\b[^;{{}}&|?=]*{relational}", body) is not None
