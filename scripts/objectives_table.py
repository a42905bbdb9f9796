"""Markdown table of the objectives comparison from a work dir of the objectives experiment.

Reads W/judge-NAME/results.jsonl (seccodegen judge) and W/he-exec-NAME/{summary.json,tasks.jsonl}
(seccodegen humaneval) for NAME in pretrained, lm, masked-lm, unlikelihood, dpo; ratios are the
report stage's (seccodegen.report.tables.ratio_rows): valid = valid / samples, secure = secure /
valid samples an analyzer decided, secure&correct = (secure and tests passed) / samples whose
tests ran. p valid / p secure: two-sided Fisher's exact test of that ratio against the pretrained
model's (no correction for the four comparisons).

    python scripts/objectives_table.py W
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from seccodegen.report.stats import Ratio, fisher_exact
from seccodegen.report.tables import normalise, ratio_rows

NAMES = ["pretrained", "lm", "masked-lm", "unlikelihood", "dpo"]


def main() -> None:
    work = Path(sys.argv[1])
    frames = []
    for name in NAMES:
        path = work / f"judge-{name}" / "results.jsonl"
        if path.is_file():
            df = pd.read_json(path, lines=True)
            df["model_run"] = name
            frames.append(df)
    df = normalise(pd.concat(frames, ignore_index=True))
    by_lang = ratio_rows(df, ["model_run", "language"])
    overall = ratio_rows(df, ["model_run"]).assign(language="c+cpp")
    rows = pd.concat([by_lang, overall], ignore_index=True)
    base = {r["language"]: r for _, r in rows[rows["model_run"] == "pretrained"].iterrows()}

    print(
        "| objective | language | samples | valid | p valid | secure (of decided valid) | p secure | "
        "secure & correct (of tested) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for lang in ["c", "cpp", "c+cpp"]:
        for name in NAMES:
            sel = rows[(rows["model_run"] == name) & (rows["language"] == lang)]
            if sel.empty:
                continue
            r = sel.iloc[0]
            b = base.get(lang)
            p_valid, p_secure = "", ""
            if name != "pretrained" and b is not None:
                p_valid = (
                    f"{fisher_exact(int(r['valid']), int(r['total']), int(b['valid']), int(b['total'])):.3g}"
                )
                p_secure = f"{fisher_exact(int(r['secure']), int(r['decided']), int(b['secure']), int(b['decided'])):.3g}"
            print(
                f"| {name} | {lang} | {int(r['total'])} | {Ratio(int(r['valid']), int(r['total'])).fmt()} | "
                f"{p_valid} | {Ratio(int(r['secure']), int(r['decided'])).fmt()} | {p_secure} | "
                f"{Ratio(int(r['secure_correct']), int(r['tested'])).fmt()} |"
            )
    print()
    print("| objective | HumanEval-X C++ pass@1 | tasks run | passed samples | samples/task |")
    print("|---|---|---|---|---|")
    for name in NAMES:
        d = work / f"he-exec-{name}"
        if not (d / "summary.json").is_file():
            print(f"| {name} | not executed | | | |")
            continue
        s = json.loads((d / "summary.json").read_text())
        tasks = [json.loads(x) for x in (d / "tasks.jsonl").read_text().splitlines()]
        passed = sum(t["c"] for t in tasks if not t["could_not_run"])
        print(
            f"| {name} | {100 * s.get('pass@1', float('nan')):.1f}% | {s['tasks_run']} | {passed} | "
            f"{s['samples_per_task']} |"
        )


def train_table(work: Path) -> None:
    """Steps, data and losses of each adapter from its manifest (each objective's own loss)."""
    print()
    print(
        "| objective | optimizer steps | rows | examples | target tokens | final train loss | "
        "final val loss | train seconds |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in NAMES[1:]:
        path = work / f"train-{name}" / "manifest.json"
        if path.is_file():
            o = json.loads(path.read_text())["outputs"]
            print(
                f"| {name} | {o['steps']} | {o['train_rows']} | {o['train_examples']} | "
                f"{o['train_target_tokens']} | {o['final_loss']:.3f} | {o['final_val_loss']:.3f} | "
                f"{o['seconds']:.1f} |"
            )


if __name__ == "__main__":
    main()
    train_table(Path(sys.argv[1]))
