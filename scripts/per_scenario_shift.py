"""Where a tuned model's secure-and-correct samples came from and went, scenario by scenario.

A pooled secure-and-correct share can stay level while scenarios move both ways. Per scenario,
this compares the pooled cells (``--cells``) with a reference cell: the share of samples that are
valid, secure and correct, and among valid samples the secure and correct shares. It prints how
many scenarios rose or fell by more than ``--margin`` and the mean change of each share over them,
then the scenarios that fell most; with ``--text`` it counts, per such scenario, the valid samples
that fail their unit tests and whose completion contains that text (e.g. ``stderr``).

    python scripts/per_scenario_shift.py runs/secure-tuning/results.parquet --model qwen-coder-1.5b \\
        --reference base-chat-t300 --cells dpo-rpo-t300,dpo-rpo-seed2-t300,dpo-rpo0.5-t300,dpo-rpo2-t300 \\
        --experiment configs/secure-tuning.yaml --text stderr
"""

from __future__ import annotations

import argparse

import pandas as pd

from seccodegen.records import read_jsonl
from seccodegen.runner.experiment import load_experiment
from seccodegen.runner.plan import build_plan


def shares(df: pd.DataFrame) -> pd.DataFrame:
    """Per scenario: valid share, secure and correct among valid, secure-and-correct share."""

    def one(g: pd.DataFrame) -> pd.Series:
        v = g[g.valid == True]  # noqa: E712 (nullable booleans)
        return pd.Series({
            "valid": g.valid.eq(True).mean(),
            "secure|valid": v.secure.eq(True).mean() if len(v) else float("nan"),
            "correct|valid": v.correct.eq(True).mean() if len(v) else float("nan"),
            "secure&correct": (g.valid.eq(True) & g.secure.eq(True) & g.correct.eq(True)).mean(),
        })  # fmt: skip

    return pd.DataFrame({sid: one(g) for sid, g in df.groupby("scenario_id")}).T


def failing_with_text(plan, methods: list[str], model: str, scenario: str, text: str) -> tuple[int, int]:
    """(valid samples failing their unit tests, of them those whose completion contains ``text``)
    in the judged results of the grid's cells of ``model`` and ``methods``."""
    failing = with_text = 0
    for cell in plan.cells:
        if cell.coords["model"] != model or cell.coords["method"] not in methods:
            continue
        if not (cell.judge.path / "results.jsonl").is_file():
            continue
        for r in read_jsonl(cell.judge.path / "results.jsonl"):
            if r.get("scenario_id") == scenario and r.get("valid") and r.get("correct") is False:
                failing += 1
                with_text += text in (r.get("completion") or "")
    return failing, with_text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", help="results.parquet written by `seccodegen run`")
    ap.add_argument("--model", required=True, help="the grid's model name")
    ap.add_argument("--reference", required=True, help="method (recipe) to compare with")
    ap.add_argument("--cells", required=True, help="methods (recipes) pooled, comma-separated")
    ap.add_argument("--languages", default="c,cpp")
    ap.add_argument("--margin", type=float, default=0.05, help="a change in secure-and-correct share that counts")
    ap.add_argument("--top", type=int, default=6, help="scenarios that fell most, listed")
    ap.add_argument("--experiment", help="the experiment YAML, whose judged results --text reads")
    ap.add_argument("--text", default="", help="count failing valid samples whose completion contains this")
    args = ap.parse_args()
    df = pd.read_parquet(args.results)
    df = df[(df.model == args.model) & df.language.isin(args.languages.split(","))]
    cells = [c for c in args.cells.split(",") if c]
    missing = sorted(set(cells + [args.reference]) - set(df.method))
    if missing:
        raise SystemExit(f"not in {args.results} for {args.model}: {', '.join(missing)}")
    plan = build_plan(load_experiment(args.experiment)) if args.experiment else None
    ref, pooled = shares(df[df.method == args.reference]), shares(df[df.method.isin(cells)])
    delta = (pooled - ref).dropna()
    print(f"command: python scripts/per_scenario_shift.py {args.results} --model {args.model} "
          f"--reference {args.reference} --cells {args.cells}")  # fmt: skip
    for name, part in (("rose", delta[delta["secure&correct"] > args.margin]),
                       ("fell", delta[delta["secure&correct"] < -args.margin])):  # fmt: skip
        means = ", ".join(f"{k} {100 * v:+.1f}" for k, v in part.mean().items())
        print(f"secure-and-correct {name} by more than {100 * args.margin:.0f} points in {len(part)} of "
              f"{len(delta)} scenarios; mean change (points): {means}")  # fmt: skip
    print("\nfell most (reference -> pooled cells):")
    for sid in delta.sort_values("secure&correct").index[: args.top]:
        line = " | ".join(f"{k} {100 * ref.at[sid, k]:.0f}% -> {100 * pooled.at[sid, k]:.0f}%" for k in ref.columns)
        if args.text and plan is not None:
            for label, methods in (("reference", [args.reference]), ("cells", cells)):
                failing, with_text = failing_with_text(plan, methods, args.model, sid, args.text)
                line += f" | {label}: {with_text} of {failing} failing valid samples contain {args.text!r}"
        print(f"  {sid}: {line}")


if __name__ == "__main__":
    main()
