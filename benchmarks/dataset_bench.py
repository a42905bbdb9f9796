"""Time `seccodegen dataset build` over everything in shared/data/vulnfix/, all four granularities.

Usage: python benchmarks/dataset_bench.py [--vulnfix ../shared/data/vulnfix] [--out /tmp/dataset-bench] [--workers N]

Prints the exact command it runs, the machine, the wall time, and the example counts from the
manifest. Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return f"{cpu}; {usable} usable cores; Python {platform.python_version()}; {platform.system()} {platform.release()}"


def main() -> int:
    here = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vulnfix", default=str(here.parent / "shared" / "data" / "vulnfix"))
    ap.add_argument("--out", default="/tmp/dataset-bench")
    ap.add_argument("--workers", type=int, default=0, help="0: one per core")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    v = Path(args.vulnfix)
    cmd = [
        "seccodegen",
        "dataset",
        "build",
        "--source",
        f"vulnfix-jsonl:{v / 'commits.jsonl.gz'}",
        "--source",
        f"debian-patches:{v / 'debian-patches'}",
        "--source",
        f"sven-pairs:{v / 'sven-pairs'}",
        "--source",
        f"safecoder-pairs:{v / 'safecoder-pairs'}",
        "--links",
        str(v / "all_linkNotNull.csv"),
        "--out",
        args.out,
        "--force",
        "--set",
        f"workers={args.workers}",
        "--set",
        "sizes=[100,200,400,800]",
    ]
    print("command:", " ".join(shlex.quote(c) for c in cmd))
    print("machine:", machine())
    env = dict(os.environ, SECCODEGEN_PROGRESS="0")
    times, cpu = [], []
    for _ in range(args.repeat):
        shutil.rmtree(args.out, ignore_errors=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if res.returncode != 0:
            print(res.stdout[-2000:], res.stderr[-2000:], file=sys.stderr)
            return res.returncode
    manifest = json.loads((Path(args.out) / "manifest.json").read_text())
    examples = manifest["outputs"]["examples"]
    for gran in ("file", "function", "block", "line"):
        n = examples.get(f"{gran}/train.jsonl", 0) + examples.get(f"{gran}/val.jsonl", 0)
        print(f"  {gran:9s} {n:6d} examples")
    print(
        f"  commits after merging: {manifest['outputs']['commits']}, dropped entries: {manifest['outputs']['dropped']}"
    )
    print("wall seconds:", ", ".join(f"{t:.1f}" for t in times), f"(best {min(times):.1f} s)")
    print("CPU seconds (all processes):", ", ".join(f"{c:.1f}" for c in cpu))
    print("load average after the run (1/5/15 min):", " ".join(f"{x:.1f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
