"""Tables for docs/results/qwen-study/README.md, read off a finished run directory.

Prints, as Markdown: the model files with their sha256, every step's wall-clock seconds (from
its manifest's started/finished times; steps ran concurrently on one GPU, so they overlap), the
seconds per stage, and the training runs (steps, tokens, losses, seconds).

    python scripts/study_summary.py configs/qwen-study.yaml
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from seccodegen.artifacts import file_sha256, read_manifest
from seccodegen.runner.experiment import load_experiment


def seconds(manifest: dict) -> float | None:
    if not manifest.get("finished"):
        return None
    start, end = (datetime.fromisoformat(manifest[k]) for k in ("started", "finished"))
    return (end - start).total_seconds()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("experiment")
    args = ap.parse_args()
    exp = load_experiment(args.experiment)
    root = Path(exp.out)

    print("| model | file | bytes | sha256 |\n|---|---|---|---|")
    for m in exp.models:
        p = Path(m.model)
        if not p.is_file():  # a hub id, or a file kept on another machine: the steps still count
            print(f"| {m.name} | `{p.name}` | (not here) | |")
            continue
        print(f"| {m.name} | `{p.name}` | {p.stat().st_size:,} | `{file_sha256(p)}` |")

    rows, per_stage = [], {}
    for mf in sorted(root.glob("*/*/manifest.json")):
        d = read_manifest(mf.parent)
        stage = mf.parent.parent.name
        s = seconds(d)
        rows.append((stage, mf.parent.name, d["status"], s))
        if s is not None:
            per_stage[stage] = per_stage.get(stage, 0.0) + s
    print("\n| stage | step | status | wall seconds |\n|---|---|---|---|")
    for stage, step, status, s in rows:
        print(f"| {stage} | {step} | {status} | {'' if s is None else f'{s:.0f}'} |")
    print("\n| stage | wall seconds, summed over its steps |\n|---|---|")
    for stage, s in per_stage.items():
        print(f"| {stage} | {s:.0f} |")

    print("\n| training run | steps | trainable params | target tokens | final train loss | final val loss | seconds |")
    print("|---|---|---|---|---|---|---|")
    for mf in sorted(root.glob("train/*/manifest.json")):
        d = read_manifest(mf.parent)
        o = d.get("outputs") or {}
        if d["status"] != "finished":
            print(f"| {mf.parent.name} | not finished | | | | | |")
            continue
        print(f"| {mf.parent.name} | {o['steps']} | {o['trainable_parameters']:,} | {o['train_target_tokens']:,} "
              f"| {o['final_loss']:.3f} | {o['final_val_loss']:.3f} | {o['seconds']:.0f} |")


if __name__ == "__main__":
    main()
