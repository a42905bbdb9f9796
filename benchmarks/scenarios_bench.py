"""Time `scenarios validate --run-tests` on the built-in suite: wall seconds overall and the
child-process CPU seconds of compiling + testing one completion, per language.

    python benchmarks/scenarios_bench.py [--jobs N] [--per-language 6]

Wall time depends on other load on the machine; the per-completion CPU seconds do much less.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from machine import header

from seccodegen.scenarios.model import LANGUAGES, load_suite
from seccodegen.scenarios.testing import check_compiles, run_scenario_tests
from seccodegen.scenarios.validation import check_suite


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=None, help="parallel checks for the whole-suite run")
    ap.add_argument("--per-language", type=int, default=6, help="scenarios per language for the CPU probe")
    args = ap.parse_args()
    print(header())
    suite = load_suite()
    print(f"load: {len(suite)} scenarios")

    print("cpu seconds per completion (sequential probe; compile+tests for secure, compile for vulnerable):")
    for lang in LANGUAGES:
        scenarios = [s for s in suite if s.language == lang][: args.per_language]
        if not scenarios:
            continue
        cpu = defaultdict(float)
        for s in scenarios:
            start = _children_cpu()
            run_scenario_tests(s, s.assemble(s.secure_completions[0]))
            cpu["secure"] += _children_cpu() - start
            start = _children_cpu()
            check_compiles(s, s.assemble(s.vulnerable_completions[0]))
            cpu["vulnerable"] += _children_cpu() - start
        n = len(scenarios)
        print(
            f"  {lang:6s} secure {cpu['secure'] / n:.3f} s, vulnerable {cpu['vulnerable'] / n:.3f} s (n={n})"
        )

    start_wall, start_cpu = time.perf_counter(), _children_cpu()
    checks = check_suite(suite, run_tests=True, jobs=args.jobs)
    wall, cpu = time.perf_counter() - start_wall, _children_cpu() - start_cpu
    completions = sum(
        len(c.scenario.completions.secure) + len(c.scenario.completions.vulnerable) for c in checks
    )
    failed = sum(not c.ok for c in checks)
    print(f"validate --run-tests: {len(checks)} scenarios, {completions} completions, {failed} failed: "
          f"{wall:.1f} s wall, {cpu:.1f} s child CPU")  # fmt: skip


if __name__ == "__main__":
    main()
