"""How far two judgements of the same samples agree (e.g. judged on two machines).

Matches records by ``id`` and prints, for valid, secure (over samples both call valid and both
decided) and correct (over samples both tested), the count that agree, the share, and the
disagreements each way; then the secure ratio each side computes.

    python scripts/judge_agreement.py A/results.jsonl B/results.jsonl
"""

from __future__ import annotations

import argparse
from pathlib import Path

from seccodegen.records import read_jsonl


def load(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in read_jsonl(path)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    args = ap.parse_args()
    a, b = load(args.a), load(args.b)
    ids = sorted(set(a) & set(b))
    print(f"{len(ids)} samples in both ({len(a)} in {args.a}, {len(b)} in {args.b})")
    print("| field | compared | agree | share | A true, B false | A false, B true |\n|---|---|---|---|---|---|")
    for field in ("valid", "secure", "correct"):
        pairs = [(a[i][field], b[i][field]) for i in ids]
        if field != "valid":
            pairs = [(x, y) for i, (x, y) in zip(ids, pairs) if a[i]["valid"] and b[i]["valid"]]
        pairs = [(x, y) for x, y in pairs if x is not None and y is not None]
        agree = sum(x == y for x, y in pairs)
        share = agree / len(pairs) if pairs else float("nan")
        print(f"| {field} | {len(pairs)} | {agree} | {share:.2%} | {sum(x and not y for x, y in pairs)} "
              f"| {sum(y and not x for x, y in pairs)} |")
    for name, side in (("A", a), ("B", b)):
        decided = [r for r in side.values() if r["valid"] and r["secure"] is not None]
        secure = sum(r["secure"] for r in decided)
        print(f"{name}: secure {secure}/{len(decided)} = {secure / max(1, len(decided)):.1%}")


if __name__ == "__main__":
    main()
