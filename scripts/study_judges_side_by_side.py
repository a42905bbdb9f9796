"""The study's two judges side by side on the same samples, from one judgement by today's judge.

The study (docs/results/qwen-study) first judged with five analyzers only: valid = compiled *and
linked*, secure = no finding of the scenario's CWE family from gcc-warnings, gcc-analyzer,
clang-tidy, cppcheck and seccodegen-checks. Today's judge records every analyzer's findings, links
separately and runs the security tests, so both verdicts can be read off its records:

- old: valid = ``links``; secure = ``secure_static`` as if only those five analyzers had run;
- new: valid = compiles (``valid``); secure = static (every analyzer) and dynamic (security tests)
  combined (``secure``), with the static-only and dynamic-only ratios beside it.

    python scripts/study_judges_side_by_side.py runs/qwen-study/judge/*/

One row per judged cell and language (secure ratios over the valid samples of that judge's own
definition that it decided).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rejudge_compare import load, pct, secure_ratio, static_with  # scripts/ is on sys.path

from seccodegen.report.stats import Ratio
from seccodegen.report.tables import LANGUAGE_NAMES

OLD_ANALYZERS = {"gcc-warnings", "gcc-analyzer", "clang-tidy", "cppcheck", "seccodegen-checks"}


def old_view(record: dict) -> dict:
    """The record as the five-analyzer, compiled-and-linked judge would have read it."""
    return {**record, "valid": bool(record.get("valid")) and record.get("links") is not False}


def rows(records: list[dict], language: str) -> list[str]:
    recs = [r for r in records if r["language"] == language]
    old = [old_view(r) for r in recs]
    return [
        pct(Ratio(sum(r["valid"] for r in old), len(old))),
        pct(secure_ratio(old, lambda r: static_with(r, OLD_ANALYZERS))),
        pct(Ratio(sum(bool(r["valid"]) for r in recs), len(recs))),
        pct(secure_ratio(recs, "secure_static")),
        pct(secure_ratio(recs, "secure_dynamic")),
        pct(secure_ratio(recs, "secure")),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("steps", nargs="+", type=Path, help="judge step folders (or their results.jsonl[.gz])")
    args = ap.parse_args()
    print("| cell | language | old valid (links) | old secure (five analyzers) | new valid (compiles) "
          "| new secure, static | new secure, dynamic | **new secure** |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for step in args.steps:
        path = step / "results.jsonl" if step.is_dir() else step
        if not path.exists():
            raise SystemExit(f"{path}: no judged records (is the judge step finished?)")
        records = list(load(path).values())
        cell = step.name
        for suffix in (".gz", ".jsonl", ".rejudged", ".judged"):  # a file: its name without them
            cell = cell.removesuffix(suffix)
        for language in sorted({r["language"] for r in records}, key=list(LANGUAGE_NAMES).index):
            old_valid, old_secure, valid, static, dynamic, combined = rows(records, language)
            print(f"| {cell} | {LANGUAGE_NAMES[language]} | {old_valid} | {old_secure} | {valid} | {static} "
                  f"| {dynamic} | **{combined}** |")  # fmt: skip


if __name__ == "__main__":
    main()
