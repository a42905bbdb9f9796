"""The query protocol, the ``QUERIES`` registry and :func:`run_queries`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from seccodegen.judge.dataflow import FunctionFacts, analyze_translation_unit
from seccodegen.registry import Registry


@dataclass(frozen=True)
class Hit:
    rule: str  # the query's rule id, e.g. "null-deref-of-allocation"
    cwe_ids: tuple[str, ...]  # normalised, e.g. ("CWE-476", "CWE-690")
    line: int
    column: int
    message: str


@runtime_checkable
class Query(Protocol):
    rule: str
    languages: tuple[str, ...]

    def run(self, fn: FunctionFacts, language: str) -> list[Hit]: ...


QUERIES: Registry[Query] = Registry("dataflow query")


def run_queries(
    path: str | Path,
    language: str,
    flags: Sequence[str] = (),
    names: Sequence[str] | None = None,
    failures: list[str] | None = None,
) -> list[Hit]:
    """Hits of the named (default: all) queries on ``path``, in line order, duplicates removed.

    With a ``failures`` list, a query that raises on one function is described there
    (``"rule in function(): error"``), as is a function the walk raised on, and the other queries
    and functions still run; without one, the exception propagates (the tests want to see it)."""
    queries = [QUERIES.get(n) for n in (names if names is not None else QUERIES.names())]
    queries = [q() if isinstance(q, type) else q for q in queries]
    seen: set[tuple[str, int, int]] = set()
    out: list[Hit] = []
    for fn in analyze_translation_unit(path, language, flags, failures):
        for q in queries:
            if language not in q.languages:
                continue
            try:
                hits = q.run(fn, language)
            except Exception as exc:  # noqa: BLE001 - one query's bug must not hide the others' hits
                if failures is None:
                    raise
                failures.append(f"{q.rule} in {fn.name}(): {type(exc).__name__}: {exc}"[:300])
                continue
            for h in hits:
                if (h.rule, h.line, h.column) not in seen:
                    seen.add((h.rule, h.line, h.column))
                    out.append(h)
    return sorted(out, key=lambda h: (h.line, h.column, h.rule))
