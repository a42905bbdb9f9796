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
definition that it decided). ``--reference CELL`` adds Fisher's exact test of each secure ratio
(old and new) against that cell's, same language.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rejudge_compare import load, pct, secure_ratio, static_with  # scripts/ is on sys.path
from scipy.stats import fisher_exact

from seccodegen.report.stats import Ratio
from seccodegen.report.tables import LANGUAGE_NAMES

OLD_ANALYZERS = {"gcc-warnings", "gcc-analyzer", "clang-tidy", "cppcheck", "seccodegen-checks"}


def old_view(record: dict) -> dict:
    """The record as the five-analyzer, compiled-and-linked judge would have read it."""
    return {**record, "valid": bool(record.get("valid")) and record.get("links") is not False}


def ratios(records: list[dict], language: str) -> dict[str, Ratio]:
    recs = [r for r in records if r["language"] == language]
    old = [old_view(r) for r in recs]
    return {
        "old valid": Ratio(sum(r["valid"] for r in old), len(old)),
        "old secure": secure_ratio(old, lambda r: static_with(r, OLD_ANALYZERS)),
        "valid": Ratio(sum(bool(r["valid"]) for r in recs), len(recs)),
        "static": secure_ratio(recs, "secure_static"),
        "dynamic": secure_ratio(recs, "secure_dynamic"),
        "secure": secure_ratio(recs, "secure"),
    }


def fisher_p(a: Ratio, b: Ratio) -> str:
    return f"{fisher_exact([[a.k, a.n - a.k], [b.k, b.n - b.k]])[1]:.2g}"


def cell_name(step: Path) -> str:
    name = step.name
    for suffix in (".gz", ".jsonl", ".rejudged", ".judged"):  # a file: its name without them
        name = name.removesuffix(suffix)
    return name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("steps", nargs="+", type=Path, help="judge step folders (or their results.jsonl[.gz])")
    ap.add_argument("--reference", default="", help="cell (folder or file name) to test the others against")
    args = ap.parse_args()
    table: dict[str, dict[str, dict[str, Ratio]]] = {}  # cell -> language -> the row's ratios
    for step in args.steps:
        path = step / "results.jsonl" if step.is_dir() else step
        if not path.exists():
            raise SystemExit(f"{path}: no judged records (is the judge step finished?)")
        records = list(load(path).values())
        languages = sorted({r["language"] for r in records}, key=list(LANGUAGE_NAMES).index)
        table[cell_name(step)] = {language: ratios(records, language) for language in languages}
    reference = next((c for c in table if args.reference and c.startswith(args.reference)), None)
    if args.reference and reference is None:
        raise SystemExit(f"--reference {args.reference}: not among the cells {sorted(table)}")
    extra = " p old | p new |" if reference else ""
    print("| cell | language | old valid (links) | old secure (five analyzers) | new valid (compiles) "
          f"| new secure, static | new secure, dynamic | **new secure** |{extra}")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|" + ("---|---|" if reference else ""))
    for cell, by_language in table.items():
        for language, r in by_language.items():
            row = (f"| {cell} | {LANGUAGE_NAMES[language]} | {pct(r['old valid'])} | {pct(r['old secure'])} "
                   f"| {pct(r['valid'])} | {pct(r['static'])} | {pct(r['dynamic'])} | **{pct(r['secure'])}** |")  # fmt: skip
            if reference:
                ref = table[reference].get(language)
                for key in ("old secure", "secure"):
                    row += " |" if cell == reference or ref is None else f" {fisher_p(r[key], ref[key])} |"
            print(row)


if __name__ == "__main__":
    main()
