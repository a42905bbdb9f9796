"""How far a job's total memory can overshoot its limit, with a cgroup and with the RSS watchdog.

A sandboxed Python job forks four children that each touch a 150 MiB block and print "HELD";
the job's total limit is 300 MiB and it has no address-space limit (as for ASan builds). The
benchmark counts how many blocks were held before the job was stopped, per mechanism: the
job's cgroup where this machine allows one, and the watchdog (forced, as on a machine without
cgroups) at its default period and at any other periods given. It also measures how fast one
core faults in fresh pages, which bounds the watchdog's overshoot per period.

    python benchmarks/sandbox_memory_bench.py                    # 20 runs per row
    python benchmarks/sandbox_memory_bench.py --periods 0.2 --runs 50

Results: docs/judge.md ("Sanitizer builds").
"""

from __future__ import annotations

import argparse
import collections
import sys
import time

from machine import header  # benchmarks/machine.py

from seccodegen import sandbox
from seccodegen.sandbox import process
from seccodegen.sandbox.cgroup import cgroups_available

JOB = """
import os, time
pids = []
for i in range(4):
    pid = os.fork()
    if pid == 0:
        block = bytearray(150 << 20)  # 150 MiB, zeroed, so every page is touched
        print("HELD", i, flush=True)
        time.sleep(3)
        os._exit(0)
    pids.append(pid)
for pid in pids:
    os.waitpid(pid, 0)
"""
LIMITS = sandbox.SandboxLimits(memory_mb=None, total_memory_mb=300, wall_seconds=30)


def fault_rate_gib_s() -> float:
    """GiB/s of fresh pages one core faults in (best of three 600 MiB blocks)."""
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        block = bytearray(600 << 20)
        best = max(best, 600 / 1024 / (time.perf_counter() - start))
        del block
    return best


def held_counts(runs: int) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    for _ in range(runs):
        res = sandbox.run_sandboxed([sys.executable, "-c", JOB], limits=LIMITS)
        if not res.memory_exceeded:
            raise SystemExit(f"the job was not stopped (stdout {res.stdout!r}): the limit did not hold")
        counts[res.stdout.count("HELD ")] += 1
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20, help="jobs per row")
    ap.add_argument("--periods", default="", help="comma-separated watchdog periods (s) beside the default")
    args = ap.parse_args()
    print(header())
    print(f"fresh pages faulted in by one core: {fault_rate_gib_s():.1f} GiB/s")
    print(f"{'mechanism':<24} blocks held (of 4) before the stop: runs")
    if cgroups_available():
        print(f"{'cgroup':<24} {dict(sorted(held_counts(args.runs).items()))}")
    else:
        print(f"{'cgroup':<24} (no cgroups on this machine)")
    sandbox.JobCgroup.create = classmethod(lambda cls, *a: None)  # type: ignore[method-assign]
    default = process.WATCHDOG_PERIOD_S
    for period in [default, *(float(p) for p in args.periods.split(",") if p)]:
        process.WATCHDOG_PERIOD_S = period
        label = f"watchdog {period * 1000:g} ms" + (" (default)" if period == default else "")
        print(f"{label:<24} {dict(sorted(held_counts(args.runs).items()))}")


if __name__ == "__main__":
    main()
