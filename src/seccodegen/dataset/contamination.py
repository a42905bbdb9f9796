"""N-gram overlap between dataset examples and a scenario suite (training-set contamination).

Text is split into code tokens (identifiers, numbers, operators such as ``->`` or ``++``, other
punctuation one character each; whitespace and layout ignored). An example overlaps a scenario
when they share at least one run of ``n`` consecutive tokens (default 10). Include/import/package lines are left out on both sides: nearly
every C file starts with the same ``#include <stdio.h>`` lines, which would otherwise make every
scenario "overlap" every file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccodegen.errors import InputError
from seccodegen.inputs import parse_yaml, read_text
from seccodegen.inputs.structured import ParseError

# identifiers, numbers, multi-character operators, then any other single non-space character
TOKEN_RE = re.compile(
    r"[A-Za-z_][A-Za-z0-9_]*|\d+|->|::|==|!=|<=|>=|&&|\|\||\+\+|--|<<|>>|[-+*/%&|^]=|[^\sA-Za-z0-9_]"
)
BOILERPLATE_RE = re.compile(
    r"^[ \t]*(?:#[ \t]*(?:include|import)\b|import[ \t]|from[ \t]+\S+[ \t]+import\b|package[ \t]|using[ \t]+namespace\b).*$",
    re.MULTILINE,
)


def overlap_tokens(text: str) -> list[str]:
    """Tokens compared for contamination: code tokens without include/import/package lines."""
    return TOKEN_RE.findall(BOILERPLATE_RE.sub("", text))


def code_tokens(text: str) -> list[str]:
    return TOKEN_RE.findall(text)


def count_tokens(text: str) -> int:
    return len(TOKEN_RE.findall(text))


@dataclass
class Scenario:
    id: str
    prompt: str
    path: str


def load_scenarios(suite: str | Path, skipped: list[str] | None = None) -> list[Scenario]:
    """Every ``*.yaml``/``*.yml`` below ``suite`` that has ``id`` and ``prompt``; others go to ``skipped``."""
    root = Path(suite)
    if not root.is_dir():
        raise InputError(f"scenario suite {root} is not a directory; pass --scenarios DIR")
    out = []
    for p in sorted(list(root.rglob("*.yaml")) + list(root.rglob("*.yml"))):
        if p.is_dir():
            continue
        try:  # a FIFO, link loop or non-UTF-8 file is skipped with its reason, never read blindly
            data = parse_yaml(read_text(p, "a scenario YAML file"))
        except (InputError, ParseError) as exc:
            if skipped is not None:
                skipped.append(f"{p}: {exc}" if isinstance(exc, ParseError) else str(exc))
            continue
        if not isinstance(data, dict) or not isinstance(data.get("prompt"), str) or not data.get("id"):
            if skipped is not None:
                skipped.append(f"{p}: no id/prompt")
            continue
        out.append(Scenario(str(data["id"]), data["prompt"], str(p)))
    if not out:
        raise InputError(f"no scenario YAML files with id and prompt under {root}")
    return out


@dataclass
class NgramIndex:
    """Scenario n-grams as tuples of token ids; tokens outside every scenario cannot match."""

    n: int
    vocab: dict[str, int] = field(default_factory=dict)
    grams: dict[tuple[int, ...], set[str]] = field(default_factory=dict)  # n-gram -> scenario ids

    @classmethod
    def build(cls, scenarios: list[Scenario], n: int) -> NgramIndex:
        index = cls(n)
        for sc in scenarios:
            ids = [index.vocab.setdefault(t, len(index.vocab)) for t in overlap_tokens(sc.prompt)]
            for i in range(len(ids) - n + 1):
                index.grams.setdefault(tuple(ids[i : i + n]), set()).add(sc.id)
        return index

    def matches(self, text: str) -> dict[str, int]:
        """{scenario id: number of shared n-grams} for ``text``."""
        if not self.grams:
            return {}
        found: dict[str, int] = {}
        run: list[int] = []
        vocab, n, grams = self.vocab, self.n, self.grams
        for tok in overlap_tokens(text):
            tid = vocab.get(tok)
            if tid is None:
                run.clear()
                continue
            run.append(tid)
            if len(run) >= n:
                hit = grams.get(tuple(run[-n:]))
                if hit:
                    for sid in hit:
                        found[sid] = found.get(sid, 0) + 1
                if len(run) > 4 * n:
                    del run[:-n]
        return found

    def to_state(self) -> dict[str, Any]:
        return {"n": self.n, "vocab": self.vocab, "grams": self.grams}


def iter_dataset_examples(dataset_dir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file, record) for every example in ``<granularity>/{train,val}.jsonl`` (not the size subsets)."""
    from seccodegen.dataset.layout import iter_dataset_records

    for _, file, rec in iter_dataset_records(dataset_dir):
        yield file, rec


def find_overlaps(dataset_dir: str | Path, scenarios: list[Scenario], n: int) -> list[dict[str, Any]]:
    """Every (scenario, example) pair that shares an n-gram, with the count of shared n-grams."""
    index = NgramIndex.build(scenarios, n)
    rows = []
    for file, rec in iter_dataset_examples(Path(dataset_dir)):
        for sid, count in sorted(index.matches(rec.get("text", "")).items()):
            prov = rec.get("provenance", {})
            rows.append(
                {
                    "scenario_id": sid,
                    "example_id": rec.get("id"),
                    "granularity": rec.get("granularity"),
                    "split": rec.get("split"),
                    "shared_ngrams": count,
                    "repo": prov.get("repo"),
                    "sha": prov.get("sha"),
                    "path": prov.get("path"),
                    "file": file,
                }
            )
    return rows
