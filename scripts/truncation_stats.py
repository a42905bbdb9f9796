"""How many samples of each judged cell stopped at the token limit, and how valid the rest are.

A tuned model that writes longer code loses samples to the sampler's max_new_tokens: a function
cut off mid-body does not compile. This separates that loss from code that is broken.

    python scripts/truncation_stats.py runs/secure-tuning/judge/*/ [--languages c,cpp]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("steps", nargs="+", type=Path, help="judge step folders (with results.jsonl)")
    ap.add_argument("--languages", default="c,cpp")
    args = ap.parse_args()
    languages = set(args.languages.split(","))
    print("| cell | samples | mean new tokens | stopped at the token limit | valid | valid among those that ended |")
    print("|---|---|---|---|---|---|")
    for step in args.steps:
        if not (step / "results.jsonl").is_file():
            print(f"(skipped {step}: no results.jsonl, the judge step has not finished)", file=sys.stderr)
            continue
        rows = [json.loads(line) for line in (step / "results.jsonl").read_text().splitlines() if line.strip()]
        rows = [r for r in rows if r.get("language") in languages]
        if not rows:
            continue
        cut = [r for r in rows if r.get("finish_reason") == "length"]
        ended = [r for r in rows if r.get("finish_reason") != "length"]
        valid = sum(bool(r["valid"]) for r in rows)
        valid_ended = sum(bool(r["valid"]) for r in ended)
        tokens = sum(r.get("completion_tokens") or 0 for r in rows) / len(rows)
        name = step.name.rsplit("-", 1)[0]
        print(f"| {name} | {len(rows)} | {tokens:.0f} | {len(cut)} ({len(cut) / len(rows):.1%}) | "
              f"{valid} ({valid / len(rows):.1%}) | {valid_ended}/{len(ended)} ({valid_ended / max(1, len(ended)):.1%}) |")


if __name__ == "__main__":
    main()
