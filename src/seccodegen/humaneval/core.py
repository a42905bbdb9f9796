"""``seccodegen humaneval``: HumanEval-X C++ pass@k for a model (+ adapter), and its sanity check.

Generation goes through the sample stage's engine; execution through the judge's sandbox
(``seccodegen.sandbox``), which needs ``--allow-exec``. Outputs in the artifact directory:
``samples.jsonl`` (task_id, index, completion, status, detail), ``tasks.jsonl`` (task_id, n, c,
could_not_run) and ``summary.json`` (pass@1 / pass@10 over the tasks that could run).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seccodegen.artifacts import Artifact, open_artifact
from seccodegen.errors import InputError
from seccodegen.humaneval.config import HumanEvalConfig
from seccodegen.humaneval.execute import Execution, execute_all
from seccodegen.humaneval.tasks import (
    Task,
    assemble_program,
    load_tasks,
    open_braces,
    truncate_at_function_end,
)
from seccodegen.progress import progress_bar
from seccodegen.records import JsonlAppender, read_jsonl, write_jsonl
from seccodegen.report.stats import pass_at_k
from seccodegen.sandbox import require_exec_allowed

SCHEMA_VERSION = 1
STOP = ["\n}\n", "\nint main", "\n#include", "\n/*"]  # a top-level "}" ends the function


def complete_function(text: str, finish_reason: str, depth: int = 1) -> str:
    """Cut at the function's closing brace; a completion stopped on "\\n}" gets that brace back."""
    cut = truncate_at_function_end(text, depth)
    if cut == text and finish_reason == "stop" and not text.rstrip().endswith("}"):
        cut = text.rstrip("\n") + "\n}"
    return cut


def generate(cfg: HumanEvalConfig, tasks: list[Task], path: Path) -> None:
    """Append ``n`` completions per task to ``path``; tasks already complete there are skipped."""
    done = {r["task_id"] for r in read_jsonl(path)} if path.is_file() else set()
    todo = [t for t in tasks if t.task_id not in done]
    if not todo:
        return
    from seccodegen.sample.engine import make_engine

    engine = make_engine(cfg.model, adapter=cfg.adapter, backend=cfg.backend, dtype=cfg.dtype)
    with JsonlAppender(path) as out, progress_bar("humaneval generate", len(todo)) as advance:
        for start in range(0, len(todo), cfg.tasks_per_batch):
            batch = todo[start : start + cfg.tasks_per_batch]
            outs = engine.generate(
                [t.prompt for t in batch], n=cfg.n, temperature=cfg.temperature, top_p=cfg.top_p,
                max_new_tokens=cfg.max_new_tokens, seed=cfg.seed + start, stop=STOP,
            )
            for task, completions in zip(batch, outs):
                for i, c in enumerate(completions):
                    out.write({"task_id": task.task_id, "index": i,
                               "completion": complete_function(c.text, c.finish_reason, max(1, open_braces(task.prompt))),
                               "finish_reason": c.finish_reason})
            out.sync()  # a kill loses at most the batch in flight
            advance(len(batch))


def summarise(tasks: list[Task], rows: list[dict[str, Any]], n: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    per_task: list[dict[str, Any]] = []
    for task in tasks:
        mine = [r for r in rows if r["task_id"] == task.task_id]
        could_not_run = any(r["status"] == "could_not_run" for r in mine)
        per_task.append({
            "task_id": task.task_id, "n": len(mine), "c": sum(r["status"] == "passed" for r in mine),
            "could_not_run": could_not_run,
            "detail": next((r["detail"] for r in mine if r["status"] == "could_not_run"), ""),
        })
    runnable = [t for t in per_task if not t["could_not_run"] and t["n"]]
    summary: dict[str, Any] = {
        "tasks": len(per_task), "tasks_run": len(runnable),
        "could_not_run": [t["task_id"] for t in per_task if t["could_not_run"]],
        "samples_per_task": n,
    }
    for k in (1, 10):
        if runnable and all(t["n"] >= k for t in runnable):
            summary[f"pass@{k}"] = sum(pass_at_k(t["n"], t["c"], k) for t in runnable) / len(runnable)
    return per_task, summary


def execute_rows(tasks: list[Task], rows: list[dict[str, Any]], jobs: int | None) -> None:
    """Compile and run each completion row (``task_id``, ``completion``) in the sandbox and set its
    ``status`` and ``detail``; a row of a task not in ``tasks`` is an :class:`InputError`."""
    by_id = {t.task_id: t for t in tasks}
    unknown = sorted({r["task_id"] for r in rows} - by_id.keys())
    if unknown:
        raise InputError(f"completions of tasks the HumanEval data lacks ({', '.join(unknown[:3])}): "
                         "give the data they were generated from")  # fmt: skip
    programs = [assemble_program(by_id[r["task_id"]], r["completion"]) for r in rows]
    with progress_bar("humaneval execute", len(programs)) as advance:
        results: list[Execution] = execute_all(programs, jobs=jobs, on_done=advance)
    for r, res in zip(rows, results):
        r["status"], r["detail"] = res.status, res.detail


@dataclass
class Generated:
    """A HumanEval artifact whose completions are on disk; :meth:`execute` runs them. The two halves
    let the experiment runner generate the next cell's completions on the GPU while the cores
    compile and run these."""

    cfg: HumanEvalConfig
    tasks: list[Task]
    art: Artifact

    def execute(self) -> Path:
        """Compile and run every completion in the sandbox, then write pass@k and finish the artifact."""
        cfg, art = self.cfg, self.art
        rows = read_jsonl(art.file("completions.jsonl"))
        execute_rows(self.tasks, rows, cfg.jobs)
        write_jsonl(art.file("samples.jsonl"), rows)
        per_task, summary = summarise(self.tasks, rows, 1 if cfg.canonical else cfg.n)
        write_jsonl(art.file("tasks.jsonl"), per_task)
        art.file("summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        art.finish({"tasks.jsonl": len(per_task), "samples.jsonl": len(rows),
                    **{k: v for k, v in summary.items() if k.startswith("pass@")}})  # fmt: skip
        return art.path


def prepare(cfg: HumanEvalConfig, force: bool = False) -> Generated:
    """Open the artifact and write the completions (generated, or the canonical solutions)."""
    require_exec_allowed(cfg.allow_exec)
    tasks = load_tasks(cfg.data, cfg.limit)
    art = open_artifact(cfg.out, "humaneval", cfg, SCHEMA_VERSION, inputs={"data": cfg.data}, force=force)
    samples_path = art.file("completions.jsonl")
    if cfg.canonical:
        write_jsonl(samples_path, [{"task_id": t.task_id, "index": 0, "completion": t.canonical_solution,
                                    "finish_reason": "canonical"} for t in tasks])
    else:
        generate(cfg, tasks, samples_path)
    return Generated(cfg, tasks, art)


def run(cfg: HumanEvalConfig, force: bool = False) -> Path:
    """Generate (or take canonical solutions), execute in the sandbox, and write pass@k."""
    return prepare(cfg, force).execute()
