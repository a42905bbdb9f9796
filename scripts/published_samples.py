"""Publish an experiment's judged samples beside its report, or put published ones back in a run tree.

A published result keeps its raw material: every finished cell's judged samples (the judge step's
results.jsonl) and its HumanEval-X samples, gzipped, named after the step folder without its hash:

    python scripts/published_samples.py publish configs/secure-tuning.yaml docs/results/secure-tuning/samples

The other way, on a machine that has only the repository: the published files go back where the
runner looks for them (the judge and HumanEval step folders of the experiment's `out`), so the
report, its CSVs and plots, and scripts/pooled_secure_ratios.py work on them without running a step:

    python scripts/published_samples.py restore configs/secure-tuning.yaml docs/results/secure-tuning/samples
    seccodegen run configs/secure-tuning.yaml --report-only

Restored folders carry no manifest (no step of theirs ran here) but a RESTORED.txt naming the
file they came from; a step folder that already has results is left alone.

``--adapters DIR`` also puts published adapters (peft folders with the training step's own
manifest.json, as in docs/results/secure-tuning/adapters/) back as the grid's finished training
steps, matched by the step's hash in the manifest's ``out``, so that a GPU machine can sample or
run HumanEval-X for a published adapter without training it again:

    python scripts/published_samples.py restore configs/secure-tuning.yaml docs/results/secure-tuning/samples \
        --adapters docs/results/secure-tuning/adapters
    seccodegen run configs/secure-tuning.yaml --stages humaneval --methods dpo-kl0.0003-ep3-seed2-t300

HumanEval-X files published as completions only (not yet executed) give no pass@1 unless ``--execute
--allow-exec`` compiles and runs them here, in the judge's sandbox, as the HumanEval step does
(and ``publish`` then writes the executed samples back).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

from seccodegen.errors import InputError, SeccodegenError
from seccodegen.humaneval.core import execute_rows, summarise
from seccodegen.humaneval.tasks import load_tasks
from seccodegen.records import read_jsonl, write_jsonl
from seccodegen.runner.core import RESTORED_MARK
from seccodegen.runner.experiment import load_experiment
from seccodegen.runner.plan import build_plan
from seccodegen.sandbox import require_exec_allowed


def published_name(step_dir: Path) -> str:
    """The step folder's name without its trailing hash (``...-baseline-48d27b1e6028`` -> ``...-baseline``)."""
    return step_dir.name.rsplit("-", 1)[0]


def steps_of(plan) -> list[tuple[str, Path, str, str]]:
    """(kind, step folder, published file name, data file) of every judge and HumanEval step of the
    grid, each once."""
    seen: set[Path] = set()
    out = []
    for cell in plan.cells:
        for kind, step, suffix, data in (("judge", cell.judge, ".judged.jsonl.gz", "results.jsonl"),
                                         ("humaneval", cell.humaneval, ".humaneval.jsonl.gz", "samples.jsonl")):
            if step is None or step.path in seen:
                continue
            seen.add(step.path)
            out.append((kind, step.path, published_name(step.path) + suffix, data))
    return out


def publish(plan, dest: Path) -> int:
    dest.mkdir(parents=True, exist_ok=True)
    n = 0
    for _kind, path, name, data in steps_of(plan):
        if (path / data).is_file():
            with open(path / data, "rb") as src, gzip.open(dest / name, "wb", compresslevel=9) as dst:
                shutil.copyfileobj(src, dst)
            n += 1
            print(f"{path / data} -> {dest / name}")
    return n


def restore(plan, src: Path, execute: bool = False, jobs: int = 0) -> int:
    n = 0
    for kind, path, name, data in steps_of(plan):
        published = src / name
        if not published.is_file() or (path / data).is_file():
            continue
        rows = list(read_jsonl(published))
        path.mkdir(parents=True, exist_ok=True)
        if kind == "humaneval" and not all("status" in r for r in rows):
            # completions published before they were executed: the step's first half only
            write_jsonl(path / "completions.jsonl", rows)
            if not execute:
                print(f"{published}: completions only (not executed; --execute runs them), no pass@1 from it")
                continue
            if not plan.experiment.humaneval.data:
                raise InputError(f"{published}: --execute needs the experiment's humaneval.data")
            execute_rows(load_tasks(plan.experiment.humaneval.data), rows, jobs or None)
        write_jsonl(path / data, rows)
        if kind == "humaneval":  # tasks.jsonl, what the results table reads: per task n and c
            task_ids = list(dict.fromkeys(r["task_id"] for r in rows))
            per_task, _summary = summarise([SimpleNamespace(task_id=t) for t in task_ids], rows, 0)
            write_jsonl(path / "tasks.jsonl", per_task)
        (path / RESTORED_MARK).write_text(f"restored from {published}; no step ran here\n", encoding="utf-8")
        n += 1
        print(f"{published} -> {path / data}")
    return n


def restore_adapters(plan, src: Path) -> int:
    """Copy each published adapter folder whose manifest names a training step of the grid (same
    hash) into that step's folder, where the runner finds it finished. Returns how many."""
    by_key = {}
    for manifest in sorted(src.glob("*/manifest.json")):
        try:
            out = json.loads(manifest.read_text(encoding="utf-8"))["config"]["out"]
        except (ValueError, KeyError, TypeError):
            raise InputError(f"{manifest}: not a training step's manifest (no config.out)") from None
        by_key[str(out).rstrip("/").rsplit("-", 1)[-1]] = manifest.parent
    n = 0
    for step in plan.steps:
        folder = by_key.get(step.key) if step.stage == "train" else None
        if folder is None or step.cached:
            continue
        step.path.mkdir(parents=True, exist_ok=True)
        for f in folder.iterdir():
            if f.is_file():
                shutil.copy2(f, step.path / f.name)
        n += 1
        print(f"{folder} -> {step.path}")
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["publish", "restore"])
    ap.add_argument("experiment", help="the experiment YAML")
    ap.add_argument("folder", type=Path, help="where the published .judged.jsonl.gz / .humaneval.jsonl.gz files are")
    ap.add_argument("--set", dest="overrides", action="append", default=[],
                    help="experiment override KEY=VALUE (e.g. out=/tmp/st), as `seccodegen run --set`")
    ap.add_argument("--execute", action="store_true",
                    help="restore: compile and run HumanEval-X completions published without results")
    ap.add_argument("--allow-exec", action="store_true", help="consent to run generated code (sandboxed)")
    ap.add_argument("--jobs", type=int, default=0, help="--execute: parallel programs (0 = all cores)")
    ap.add_argument("--adapters", type=Path, default=None,
                    help="restore: also put the published adapters in this folder back as finished training steps")
    args = ap.parse_args()
    if args.adapters is not None and (args.action != "restore" or not args.adapters.is_dir()):
        sys.exit(f"error: --adapters {args.adapters}: give a folder of published adapters, with restore")
    if args.action == "restore" and not args.folder.is_dir():
        sys.exit(f"{args.folder}: no such folder of published samples")
    try:  # a bad experiment file, a damaged published file, no sandbox: one line, files restored so far kept
        if args.execute:
            require_exec_allowed(args.allow_exec)
        plan = build_plan(load_experiment(args.experiment, args.overrides))
        n = publish(plan, args.folder) if args.action == "publish" else restore(plan, args.folder, args.execute, args.jobs)
        if args.adapters is not None:
            print(f"adapters: {restore_adapters(plan, args.adapters)} training steps restored")
    except SeccodegenError as exc:
        sys.exit(f"error: {exc}")
    print(f"{args.action}: {n} files")


if __name__ == "__main__":
    main()
