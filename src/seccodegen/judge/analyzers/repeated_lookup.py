"""A NULL report about a lookup the program already tested, made again with the same arguments.

``if (strchr(line, '=') == NULL) return -1; char *eq = strchr(line, '='); *eq = '\\0';`` is safe:
``strchr`` is a pure function of its arguments, and neither changed between the test and the
second call. gcc's analyzer does not know that and reports the dereference of ``eq`` as a
possible NULL dereference; :func:`rechecked_lookup` recognises that shape so the report can be
dropped. Only string/memory searches (``strchr``, ``strrchr``, ``strstr``, ``memchr``,
``strpbrk``) count, the test must leave the function or loop (``return``, ``goto``, ``break``,
``continue``, ``exit``) when the result is NULL, and no assignment to the searched variable may
come between the test and the second call.
"""

from __future__ import annotations

import re

LOOKUPS = ("strchr", "strrchr", "strstr", "memchr", "strpbrk", "strcasestr")
_CALL = rf"(?:{'|'.join(LOOKUPS)})\s*\([^;()]*(?:\([^;()]*\)[^;()]*)*\)"
_LEAVES = r"\s*\)\s*\{?\s*(?:return|goto|break|continue|exit\s*\()"
# the dereferenced name in gcc's message: "dereference of NULL 'eq'", "use of NULL 'eq' where non-null expected"
NAMED = re.compile(r"NULL ['‘`]([A-Za-z_]\w*)['’`]")


def _spaceless(text: str) -> str:
    return re.sub(r"\s+", "", text)


def rechecked_lookup(source: str, var: str, line: int) -> bool:
    """``var``, used on 1-based ``line`` of ``source``, was last assigned a lookup call that an
    earlier test of the very same call against NULL guards (see the module docstring)."""
    upto = "\n".join(source.splitlines()[:line])
    assigned = list(re.finditer(rf"\b{re.escape(var)}\s*=\s*({_CALL})\s*;", upto))
    if not assigned:
        return False
    last = assigned[-1]
    call = _spaceless(last.group(1))
    searched = re.match(r"\w+\(\s*([A-Za-z_]\w*)", call)
    before = upto[: last.start()]
    for test in re.finditer(rf"if\s*\(\s*(!\s*({_CALL})|({_CALL})\s*==\s*(?:NULL|0)|(?:NULL|0)\s*==\s*({_CALL})){_LEAVES}",
                            before):  # fmt: skip
        tested = next(g for g in test.groups()[1:] if g)
        if _spaceless(tested) != call:
            continue
        between = before[test.end() :]
        if searched and re.search(rf"\b{re.escape(searched.group(1))}\s*(?:=[^=]|\+\+|--|\+=|-=)", between):
            continue  # the searched string moved in between: the second call may find nothing
        return True
    return False
