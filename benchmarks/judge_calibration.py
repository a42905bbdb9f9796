"""Judge calibration: per-CWE precision/recall on Juliet halves and on the suite's hand-written completions.

    python benchmarks/judge_calibration.py --juliet ../shared/data/juliet            # print the tables
    python benchmarks/judge_calibration.py --juliet ../shared/data/juliet --write-docs  # also update docs/judge.md
    python benchmarks/judge_calibration.py --allow-exec ...   # + the scenarios' security tests
    python benchmarks/judge_calibration.py --pairs ../shared/data/vulnfix --no-scenarios --write-docs
    python benchmarks/judge_calibration.py --pairs benchmarks/data/weakness_pairs.jsonl --no-scenarios \
        --pairs-title "Hand-written weakness pairs" --list-wrong   # printed only: see docs/judge.md

Juliet: each test case file is split into its bad() half (must be judged vulnerable to the
file's CWE) and its good*() half (must be judged secure). Scenarios: every vulnerable completion
must be judged vulnerable to the scenario's CWE, every secure one secure. A fresh cache is used
unless --cache-dir is given. The doc section between the calibration markers is replaced.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

BEGIN, END = "<!-- calibration:begin -->", "<!-- calibration:end -->"
PAIRS_BEGIN, PAIRS_END = "<!-- calibration-pairs:begin -->", "<!-- calibration-pairs:end -->"
SVEN_TITLE = "SVEN/SafeCoder C/C++ function pairs"  # the table between the pairs markers
DOC = Path(__file__).resolve().parents[1] / "docs" / "judge.md"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--juliet", type=Path, default=None, help="Juliet dir (with testcases/ and testcasesupport/)"
    )
    ap.add_argument("--scenarios", default=None, help="scenario suite dir (default: built-in)")
    ap.add_argument("--no-scenarios", action="store_true", help="skip the scenario completions")
    ap.add_argument("--pairs-title", default=SVEN_TITLE,
                    help="heading of the --pairs table (for a pair file of your own)")  # fmt: skip
    ap.add_argument("--list-wrong", action="store_true", help="list the --pairs table's wrong verdicts too")
    ap.add_argument(
        "--pairs", type=Path, default=None, help="dir (or .jsonl) of SVEN/SafeCoder before/after-fix pairs"
    )
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument(
        "--analyzers", default="", help="comma-separated analyzer names (default: the judge's default set)"
    )
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument(
        "--analyzer-timeout", type=float, default=None,
        help="seconds per file an analyzer may take (default: the judge's); a file that takes longer is "
        "judged without that analyzer (e.g. cppcheck's exhaustive mode on functions thousands of lines long)",
    )  # fmt: skip
    ap.add_argument(
        "--allow-exec", action="store_true",
        help="also run the scenarios' security tests (executes the completions, sandboxed); the "
        "verdict is then 'flagged by an analyzer OR exploited' (secure_rule=both)",
    )  # fmt: skip
    ap.add_argument("--write-docs", action="store_true", help=f"replace the calibration section of {DOC}")
    args = ap.parse_args()

    from machine import header  # benchmarks/machine.py

    from seccodegen.errors import InputError
    from seccodegen.judge.calibration import (
        SECURITY_TESTS,
        judge_cases,
        juliet_cases,
        metrics_table,
        misses,
        scenario_cases,
    )
    from seccodegen.judge.calibration_pairs import pair_cases, pairs_summary
    from seccodegen.judge.config import JudgeConfig
    from seccodegen.judge.engine import selected_analyzers

    if args.write_docs and args.pairs and args.pairs_title != SVEN_TITLE:
        sys.exit("error: --write-docs replaces docs/judge.md's SVEN/SafeCoder pairs table; "
                 "leave it out for a pair file of your own (--pairs-title)")  # fmt: skip
    try:  # read the pairs first: a bad file stops the run before any judging
        pairs = pair_cases(args.pairs) if args.pairs else []
    except InputError as exc:
        sys.exit(f"error: {exc}")
    if args.juliet and not (args.juliet / "testcases").is_dir():
        sys.exit(f"error: --juliet {args.juliet}: no testcases/ folder there (give Juliet's root, "
                 "the folder holding testcases/ and testcasesupport/)")  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="judge-cal-") as tmp:
        names = tuple(n.strip() for n in args.analyzers.split(",") if n.strip())
        try:
            timeout = {"analyzer_timeout_s": args.analyzer_timeout} if args.analyzer_timeout else {}
            cfg = JudgeConfig(jobs=args.jobs, cache_dir=args.cache_dir or tmp, analyzers=names,
                              allow_exec=args.allow_exec, **timeout)  # fmt: skip
        except ValueError as exc:
            sys.exit(f"error: {exc}")
        tools = selected_analyzers(cfg) + ([SECURITY_TESTS] if args.allow_exec else [])
        parts = [header().replace("\n", "  \n"), ""]
        if args.juliet:
            outs = judge_cases(juliet_cases(args.juliet), cfg)
            parts += [
                "### Juliet C/C++ 1.3 (bad half vs good half)",
                "",
                metrics_table(outs, tools),
                "",
                "Wrong verdicts:",
                "",
            ]
            parts += [f"- {m}" for m in misses(outs)] + [""]
            invalid = [o.case.name for o in outs if not o.valid]
            if invalid:
                parts += [f"Halves that do not compile: {', '.join(invalid)}", ""]
        if not args.no_scenarios:
            outs = judge_cases(scenario_cases(args.scenarios), cfg)
            parts += [
                "### Scenario completions (hand-written vulnerable vs secure)",
                "",
                metrics_table(outs, tools),
                "",
            ]
            parts += ["Wrong verdicts:", ""] + [f"- {m}" for m in misses(outs)] + [""]
        pairs_parts: list[str] = []
        if pairs:
            start = time.monotonic()
            outs = judge_cases(pairs, cfg)
            seconds = time.monotonic() - start
            pairs_parts = [
                parts[0],
                "",
                f"### {args.pairs_title} (before the fix vs after it)",
                "",
                metrics_table(outs, tools),
                "",
                pairs_summary(outs),
                f"(judged {len(pairs)} functions in {seconds:.0f} s with jobs={cfg.n_jobs})",
                "",
            ]
            if args.list_wrong:
                pairs_parts += ["Wrong verdicts:", ""] + [f"- {m}" for m in misses(outs)] + [""]
    text = "\n".join(parts) if args.juliet or not args.no_scenarios else ""
    pairs_text = "\n".join(pairs_parts)
    print(text + pairs_text)
    if args.write_docs:
        doc = DOC.read_text(encoding="utf-8")
        if text:
            doc = _replace_section(doc, BEGIN, END, text)
        if pairs_text:
            doc = _replace_section(doc, PAIRS_BEGIN, PAIRS_END, pairs_text)
        DOC.write_text(doc, encoding="utf-8")
        print(f"updated {DOC}")


def _replace_section(doc: str, begin: str, end: str, text: str) -> str:
    if begin not in doc or end not in doc:
        sys.exit(f"{DOC} has no {begin} ... {end} section")
    return re.sub(
        re.escape(begin) + ".*?" + re.escape(end), lambda _: f"{begin}\n{text}\n{end}", doc, flags=re.DOTALL
    )


if __name__ == "__main__":
    main()
