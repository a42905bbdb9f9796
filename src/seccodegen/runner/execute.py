"""Run a plan: each step only if its artifact is not finished, with one overall progress display;
then gather every judged sample into one tidy table and build the report."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from seccodegen.progress import progress_bar
from seccodegen.records import read_jsonl
from seccodegen.runner.overlap import StepLog, run_steps, should_overlap
from seccodegen.runner.plan import Plan
from seccodegen.runner.stages import STAGE_RUNNERS, Step

if TYPE_CHECKING:  # pandas is imported where results are gathered, so a stage-only run needs none
    import pandas as pd

RESULT_COLUMNS = [
    "id", "scenario_id", "language", "cwe", "prompt_style", "sample_index",
    "valid", "secure", "correct", "compile_error",
    "links", "secure_static", "secure_dynamic", "exploited",
]  # fmt: skip


@dataclass
class Execution:
    timings: dict[str, float] = field(default_factory=dict)  # seconds spent per stage
    waiting: list[Step] = field(default_factory=list)  # skipped: a dependency is not finished yet


def execute(
    plan: Plan,
    console: Console | None = None,
    force: bool = False,
    stages: tuple[str, ...] = (),
    shard: tuple[int, int] | None = None,
) -> Execution:
    """Run every step that is not cached. With ``stages`` (only steps of those stages) or ``shard``
    (i, n: only the steps of work unit k with k % n == i, see :meth:`Plan.units`), a step runs only
    when its dependencies are finished or run before it in this call; the rest are returned as
    waiting. So several processes can split a grid: N shards train and sample side by side on the
    GPU while another process judges. Within one call, CPU-bound steps run beside the model's
    (see :mod:`seccodegen.runner.overlap`) unless the experiment sets ``overlap_cpu_steps: false``."""
    console = console or Console(stderr=True)
    todo = [s for s in plan.ordered() if force or not s.cached]
    result = Execution()
    if stages or shard:
        mine = plan.shard(*shard) if shard else None
        runs: set[int] = set()
        for step in [s for s in todo if (not stages or s.stage in stages) and (mine is None or id(s) in mine)]:
            if all(d.cached or id(d) in runs for d in step.deps):
                runs.add(id(step))
            else:
                result.waiting.append(step)
        todo = [s for s in todo if id(s) in runs]
    overlap = should_overlap(plan.experiment.overlap_cpu_steps, todo)
    console.print(f"[bold]{plan.experiment.name}[/]: {len(plan.steps)} steps, {len(todo)} to run, "
                  f"{len(plan.steps) - len(todo) - len(result.waiting)} cached or other stages, "
                  f"{len(result.waiting)} waiting" + (", CPU steps in the background" if overlap else ""))
    for note in plan.notes:
        console.print(f"note: {note}")
    with progress_bar("grid", len(todo)) as advance:
        log = StepLog(console, advance, len(todo), result.timings)
        run_steps(todo, lambda stage: STAGE_RUNNERS.get(stage), force, log, overlap)
    return result


def collect_results(plan: Plan) -> pd.DataFrame:
    """One row per judged sample with all grid coordinates (any pivot is one groupby)."""
    import pandas as pd

    frames = []
    for cell in plan.cells:
        path = cell.judge.path / "results.jsonl"
        if not path.is_file():
            continue
        rows = read_jsonl(path)
        df = pd.DataFrame(rows)
        for col in RESULT_COLUMNS:
            if col not in df.columns:
                df[col] = None
        df = df[RESULT_COLUMNS].copy()
        df["n_findings"] = [len(r.get("findings") or []) for r in rows]
        for key, value in cell.coords.items():
            df[key] = value
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def collect_humaneval(plan: Plan) -> pd.DataFrame:
    import pandas as pd

    frames = []
    seen: set[str] = set()
    for cell in plan.cells:
        step: Step | None = cell.humaneval
        if step is None or step.key in seen or not (step.path / "tasks.jsonl").is_file():
            continue
        seen.add(step.key)
        df = pd.DataFrame(read_jsonl(step.path / "tasks.jsonl"))
        for key in ("model", "method", "granularity", "dataset_size"):
            df[key] = cell.coords[key]
        df["prompt_style"] = "-"
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def write_results(plan: Plan, timings: dict[str, float] | None) -> Path:
    """results.parquet (+ humaneval.parquet) from the finished cells; ``timings`` (seconds per
    stage of this call) is appended to timings.jsonl unless None (nothing ran)."""
    root = Path(plan.experiment.out)
    root.mkdir(parents=True, exist_ok=True)
    results = collect_results(plan)
    results.to_parquet(root / "results.parquet", index=False, write_page_checksum=True)  # damage is detected
    humaneval = collect_humaneval(plan)
    if not humaneval.empty:
        humaneval.to_parquet(root / "humaneval.parquet", index=False, write_page_checksum=True)
    if timings is None:
        return root / "results.parquet"
    log = root / "timings.jsonl"
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "seconds": timings}) + "\n")
    return root / "results.parquet"
