"""Task-by-task comparison of two HumanEval runs (the study's Table 8): Fisher's exact test per task."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seccodegen.errors import InputError
from seccodegen.records import read_jsonl
from seccodegen.report.stats import fisher_exact, pass_at_k


@dataclass(frozen=True)
class Comparison:
    rows: list[dict]  # task_id, c_a, n_a, c_b, n_b, p
    pass1_a: float
    pass1_b: float
    significant: int  # tasks with p < alpha
    alpha: float

    def markdown(self, name_a: str, name_b: str) -> str:
        lines = [
            f"| run | pass@1 | tasks | tasks p<{self.alpha} |",
            "|---|---|---|---|",
            f"| {name_a} | {100 * self.pass1_a:.1f}% | {len(self.rows)} | |",
            f"| {name_b} | {100 * self.pass1_b:.1f}% | {len(self.rows)} | {self.significant} |",
        ]
        sig = [r for r in self.rows if r["p"] < self.alpha]
        if sig:
            lines += ["", "| task | " + name_a + " | " + name_b + " | p |", "|---|---|---|---|"]
            lines += [f"| {r['task_id']} | {r['c_a']}/{r['n_a']} | {r['c_b']}/{r['n_b']} | {r['p']:.3g} |" for r in sig]
        return "\n".join(lines) + "\n"


def _tasks(run_dir: str | Path) -> dict[str, dict]:
    path = Path(run_dir) / "tasks.jsonl"
    if not path.is_file():
        raise InputError(f"{run_dir}: no tasks.jsonl (is it a finished `seccodegen humaneval run` directory?)")
    return {r["task_id"]: r for r in read_jsonl(path) if not r.get("could_not_run") and r["n"]}


def compare(run_a: str | Path, run_b: str | Path, alpha: float = 0.05) -> Comparison:
    a, b = _tasks(run_a), _tasks(run_b)
    common = sorted(set(a) & set(b), key=lambda t: (len(t), t))
    if not common:
        raise InputError(f"{run_a} and {run_b} share no runnable task")
    rows = []
    for tid in common:
        ra, rb = a[tid], b[tid]
        rows.append({"task_id": tid, "c_a": ra["c"], "n_a": ra["n"], "c_b": rb["c"], "n_b": rb["n"],
                     "p": fisher_exact(ra["c"], ra["n"], rb["c"], rb["n"])})
    p1a = sum(pass_at_k(r["n_a"], r["c_a"], 1) for r in rows) / len(rows)
    p1b = sum(pass_at_k(r["n_b"], r["c_b"], 1) for r in rows) / len(rows)
    return Comparison(rows, p1a, p1b, sum(r["p"] < alpha for r in rows), alpha)
