"""Time executing 164 tasks x 10 samples of HumanEval-X C++ (the issue's bar: < 10 min on 2 cores).

Each of the 10 samples of a task is the canonical solution with a distinct comment, so none is
deduplicated by the content cache: this is the worst case (every program compiled and run).

    python benchmarks/humaneval_bench.py --data ../shared/data/humanevalx/humaneval_cpp.jsonl.gz
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from machine import header  # noqa: E402

from seccodegen.humaneval.execute import execute_all  # noqa: E402
from seccodegen.humaneval.tasks import assemble_program, load_tasks  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/humanevalx/humaneval_cpp.jsonl.gz")
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=None)
    args = ap.parse_args()
    print(header())
    tasks = load_tasks(args.data)
    programs = [
        assemble_program(t, t.canonical_solution + f"\n// sample {i}\n")
        for t in tasks
        for i in range(args.samples)
    ]
    start = time.perf_counter()
    results = execute_all(programs, jobs=args.jobs)
    took = time.perf_counter() - start
    counts = Counter(r.status for r in results)
    print(f"programs: {len(programs)} ({len(tasks)} tasks x {args.samples}), statuses: {dict(counts)}")
    print(f"humaneval execution: {took:.1f} s total, {1000 * took / len(programs):.0f} ms per program")


if __name__ == "__main__":
    main()
