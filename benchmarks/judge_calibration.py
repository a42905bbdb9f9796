"""Judge calibration: per-CWE precision/recall on Juliet halves and on the suite's hand-written completions.

    python benchmarks/judge_calibration.py --juliet ../shared/data/juliet            # print the tables
    python benchmarks/judge_calibration.py --juliet ../shared/data/juliet --write-docs  # also update docs/judge.md
    python benchmarks/judge_calibration.py --allow-exec ...   # + the scenarios' security tests

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
from pathlib import Path

BEGIN, END = "<!-- calibration:begin -->", "<!-- calibration:end -->"
DOC = Path(__file__).resolve().parents[1] / "docs" / "judge.md"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--juliet", type=Path, default=None, help="Juliet dir (with testcases/ and testcasesupport/)"
    )
    ap.add_argument("--scenarios", default=None, help="scenario suite dir (default: built-in)")
    ap.add_argument("--no-scenarios", action="store_true", help="skip the scenario completions")
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument(
        "--allow-exec", action="store_true",
        help="also run the scenarios' security tests (executes the completions, sandboxed); the "
        "verdict is then 'flagged by an analyzer OR exploited' (secure_rule=both)",
    )  # fmt: skip
    ap.add_argument("--write-docs", action="store_true", help=f"replace the calibration section of {DOC}")
    args = ap.parse_args()

    from machine import header  # benchmarks/machine.py

    from seccodegen.judge.calibration import (
        SECURITY_TESTS,
        judge_cases,
        juliet_cases,
        metrics_table,
        misses,
        scenario_cases,
    )
    from seccodegen.judge.config import JudgeConfig
    from seccodegen.judge.engine import selected_analyzers

    with tempfile.TemporaryDirectory(prefix="judge-cal-") as tmp:
        cfg = JudgeConfig(jobs=args.jobs, cache_dir=args.cache_dir or tmp, allow_exec=args.allow_exec)
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
    text = "\n".join(parts)
    print(text)
    if args.write_docs:
        doc = DOC.read_text(encoding="utf-8")
        if BEGIN not in doc or END not in doc:
            sys.exit(f"{DOC} has no {BEGIN} ... {END} section")
        new = re.sub(
            re.escape(BEGIN) + ".*?" + re.escape(END),
            lambda _: f"{BEGIN}\n{text}\n{END}",
            doc,
            flags=re.DOTALL,
        )
        DOC.write_text(new, encoding="utf-8")
        print(f"updated {DOC}")


if __name__ == "__main__":
    main()
