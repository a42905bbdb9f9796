"""Judge speed: N distinct C/C++ programs (default 1,560 = 52 scenarios x 30 samples), cold cache.

The programs are the built-in suite's hand-written C/C++ completions (vulnerable and secure),
replicated with a distinct comment each so that no two share a content hash (the judge would
otherwise judge duplicates once). Every analyzer that applies runs, plus the compile check.

    python benchmarks/judge_bench.py                 # 1,560 programs, all cores
    python benchmarks/judge_bench.py --n 100 --jobs 2
    python benchmarks/judge_bench.py --allow-exec    # also the unit and security tests (sandboxed)
    python benchmarks/judge_bench.py --n 300 --jobs 2 --dump verdicts.jsonl --tool-times

``--dump`` writes one JSON line per program (id, language, valid, compile and link errors, secure,
findings, analyzers' statuses) so that two runs, before and after a change to the judge, can be
compared program by program (docs/judge.md, "Speed").
``--tool-times`` adds the wall seconds spent in each compiler and analyzer (summed over its
batches, so with jobs=2 they add up to about twice the wall time) and, where the CPU time can be
measured (see ``machine.ToolCpuMeter``), the CPU seconds of each.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import tempfile
import threading
import time

from machine import ToolCpuMeter, header  # benchmarks/machine.py


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1560, help="number of distinct programs to judge")
    ap.add_argument("--jobs", type=int, default=0, help="parallel tool processes (0 = all cores)")
    ap.add_argument("--analyzers", default="", help="comma-separated subset (default: all)")
    ap.add_argument("--allow-exec", action="store_true",
                    help="also run each program's unit and security tests (executes them in the sandbox)")  # fmt: skip
    ap.add_argument("--dump", default="", help="write per-program verdicts and findings to this JSONL file")
    ap.add_argument("--tool-times", action="store_true", help="print the wall seconds spent in each tool")
    args = ap.parse_args()

    from seccodegen.judge import judge_records
    from seccodegen.judge.analyzers import get_analyzer
    from seccodegen.judge.config import JudgeConfig, default_jobs
    from seccodegen.scenarios.model import load_suite

    base = []
    for sc in load_suite():
        if sc.language in ("c", "cpp"):
            for kind in ("vulnerable", "secure"):
                for completion in getattr(sc.completions, kind):
                    base.append((sc, completion))
    records = []
    for i in range(args.n):
        sc, completion = base[i % len(base)]
        code = sc.assemble(completion) + f"\n/* benchmark sample {i} */\n"
        records.append({"id": f"{sc.id}::bench::{i}", "scenario_id": sc.id, "code": code})

    analyzers = tuple(a for a in args.analyzers.split(",") if a)
    jobs = args.jobs or default_jobs()

    print(header())
    print(f"load average at the start {os.getloadavg()[0]:.1f} (1 minute)")
    with tempfile.TemporaryDirectory(prefix="judge-bench-cache-") as cache, ToolCpuMeter() as meter:
        cfg = JudgeConfig(analyzers=analyzers, jobs=jobs, cache_dir=cache, allow_exec=args.allow_exec)
        from seccodegen.judge.engine import selected_analyzers

        for name in selected_analyzers(cfg):
            a = get_analyzer(name)
            print(f"  {name}: {a.version()[:90] if a.available() else 'missing'}")
        tool_seconds = _time_tools(meter) if args.tool_times else None
        start = time.monotonic()
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
        results = judge_records(records, cfg)
        seconds = time.monotonic() - start
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
        total_cpu = meter.seconds()
        for name, spent in (tool_seconds or {}).items():
            spent[1] = meter.seconds(name) or 0.0
    # CPU seconds of the judge process and the children it waited for. The compilers and analyzers
    # run in the bubblewrap sandbox, whose processes' CPU time never reaches this process's rusage
    # (a sandboxed 2-second busy loop adds 0.0 s), so this is the judge's own share only.
    cpu = sum((b.ru_utime + b.ru_stime) - (a.ru_utime + a.ru_stime) for a, b in zip(cpu0, cpu1))
    load = os.getloadavg()[0]
    n_c = sum(r["language"] == "c" for r in results)
    print(f"judged {len(results)} programs ({n_c} C, {len(results) - n_c} C++) from {len(base)} distinct completions "
          f"with jobs={jobs} in {seconds:.1f} s = {seconds / 60:.2f} min ({len(results) / seconds:.2f} programs/s)")  # fmt: skip
    if total_cpu is not None:
        print(f"CPU time of the judge and its tools: {total_cpu:.0f} s (the judge process alone: {cpu:.0f} s); "
              f"load average at the end {load:.1f} (other processes share the cores)")  # fmt: skip
    else:
        print(f"CPU time of the judge process (sandboxed tools not counted): {cpu:.0f} s; "
              f"load average at the end {load:.1f} (other processes share the cores)")  # fmt: skip
    print(f"valid {sum(bool(r['valid']) for r in results)}, vulnerable {sum(r['secure'] is False for r in results)}, "
          f"secure {sum(r['secure'] is True for r in results)}, undecided {sum(r['secure'] is None for r in results)}")  # fmt: skip
    if args.allow_exec:
        print(f"tested {sum(r['tests'] is not None for r in results)}, correct {sum(r['correct'] is True for r in results)}, "
              f"exploited {sum(r['exploited'] is True for r in results)}")  # fmt: skip
    bad = {f"{n}={s}" for r in results for n, s in r["analyzers"].items() if s != "ok"}
    print("analyzer problems:", ", ".join(sorted(bad)) or "none")
    if tool_seconds is not None:
        ranked = sorted(tool_seconds.items(), key=lambda kv: -kv[1][0])
        print("wall seconds per tool (summed over batches):", ", ".join(f"{n} {w:.0f}" for n, (w, _) in ranked))
        if total_cpu is not None:
            print("CPU seconds per tool (its processes and their sandboxes):",
                  ", ".join(f"{n} {c:.0f}" for n, (_, c) in sorted(ranked, key=lambda kv: -kv[1][1])))  # fmt: skip
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as fh:
            for r in results:
                fields = ("id", "language", "valid", "compile_error", "links", "link_error", "secure", "findings",
                          "analyzers")  # fmt: skip
                keep = {k: r[k] for k in fields}
                fh.write(json.dumps(keep, sort_keys=True) + "\n")
        print(f"per-program verdicts written to {args.dump}")


def _time_tools(meter: ToolCpuMeter) -> dict[str, list[float]]:
    """Wrap every analyzer's ``run`` and every compiler's ``check_many`` (``check`` where there is
    none) to sum their wall seconds, and their CPU seconds where ``meter`` can tell them apart."""
    from seccodegen.judge import engine

    spent: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])  # name -> [wall, CPU]
    lock = threading.Lock()

    def timed(name, fn):
        def call(*a, **kw):
            t0 = time.monotonic()
            try:
                with meter.charged_to(name):
                    return fn(*a, **kw)
            finally:
                with lock:
                    spent[name][0] += time.monotonic() - t0

        return call

    def wrap(factory, *methods):
        def make(arg):
            obj = factory(arg)
            method = next(m for m in methods if hasattr(obj, m))
            setattr(obj, method, timed(getattr(obj, "name", arg) or arg, getattr(obj, method)))
            return obj

        return make

    engine.get_analyzer = wrap(engine.get_analyzer, "run")
    engine.get_compiler = wrap(engine.get_compiler, "check_many", "check")
    return spent


if __name__ == "__main__":
    main()
