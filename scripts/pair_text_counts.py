"""How many (fixed, vulnerable) pairs of a built dataset mention a pattern, and how many fixes add it.

Before filtering pair data for a behaviour the tuned model picked up (error messages on
``stderr``, ``errno``, limits from headers a scenario does not include), count where the pattern
occurs: on the fixed side, on the vulnerable side, and on lines the fix added that no removed line
has. A pattern that sits on both sides of most pairs is context, not something the fixes teach, and
a filter on it removes data without removing the cause.

    python scripts/pair_text_counts.py \
        runs/secure-tuning/dataset/data-safecoder-all-38b73105d28a/function/train.jsonl \
        --languages c,cpp --pattern stderr='\\bstderr\\b|std::cerr|\\bperror\\s*\\(' --pattern errno='\\berrno\\b'
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

from seccodegen.errors import InputError
from seccodegen.records import iter_jsonl


def added_and_removed(before: str, after: str) -> tuple[list[str], list[str]]:
    """Lines the fix added and removed (a line-level diff of the two sides)."""
    added, removed = [], []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith("+") and not line.startswith("+++"):
            added.append(line[1:])
        elif line.startswith("-") and not line.startswith("---"):
            removed.append(line[1:])
    return added, removed


def count(rows: list[dict], patterns: dict[str, re.Pattern]) -> dict[str, dict[str, int]]:
    """Per pattern: pairs whose fixed side / vulnerable side matches, and pairs whose fix adds a
    matching line while no removed line matches."""
    out = {name: {"fixed": 0, "vulnerable": 0, "added_by_fix": 0} for name in patterns}
    for row in rows:
        added, removed = added_and_removed(row["before"], row["text"])
        for name, pat in patterns.items():
            out[name]["fixed"] += bool(pat.search(row["text"]))
            out[name]["vulnerable"] += bool(pat.search(row["before"]))
            adds = any(pat.search(line) for line in added)
            out[name]["added_by_fix"] += adds and not any(pat.search(line) for line in removed)
    return out


def read_pairs(path: Path, languages: set[str]) -> list[dict]:
    rows = []
    for number, row in enumerate(iter_jsonl(path), 1):
        if not isinstance(row.get("before"), str) or not isinstance(row.get("text"), str):
            raise InputError(
                f"{path}: record {number} is not a pair record (needs 'before' and 'text' strings)"
            )
        if not languages or row.get("language") in languages:
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path, help="a pair dataset's JSONL (train.jsonl of a function-level step)")
    ap.add_argument("--languages", default="", help="comma-separated languages to keep (default: all)")
    ap.add_argument(
        "--pattern", action="append", default=[], metavar="NAME=REGEX", help="a named regular expression"
    )
    args = ap.parse_args(argv)
    if not args.data.is_file():
        print(
            f"error: {args.data} is not a file; pass a dataset step's function/train.jsonl", file=sys.stderr
        )
        return 2
    patterns = {}
    for spec in args.pattern:
        name, sep, regex = spec.partition("=")
        if not sep or not name:
            print(f"error: --pattern {spec!r}: write NAME=REGEX", file=sys.stderr)
            return 2
        try:
            patterns[name] = re.compile(regex)
        except re.error as exc:
            print(f"error: --pattern {name}: {exc}", file=sys.stderr)
            return 2
    if not patterns:
        print("error: give at least one --pattern NAME=REGEX", file=sys.stderr)
        return 2
    try:
        rows = read_pairs(args.data, {x for x in args.languages.split(",") if x})
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"pairs: {len(rows)}")
    print("| pattern | fixed side | vulnerable side | added by the fix |\n|---|---|---|---|")
    for name, c in count(rows, patterns).items():
        print(f"| {name} | {c['fixed']} | {c['vulnerable']} | {c['added_by_fix']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
