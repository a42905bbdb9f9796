"""``seccodegen run EXPERIMENT.yaml``: the whole grid, resumably, then the report."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from seccodegen.errors import SeccodegenError
from seccodegen.runner.execute import execute, write_results
from seccodegen.runner.experiment import Experiment
from seccodegen.runner.plan import STAGE_ORDER, Plan, build_plan, cell_label, describe
from seccodegen.runner.stages import Step
from seccodegen.runner.validate import check_plan


@dataclass(frozen=True)
class RunOutcome:
    plan: Plan
    results: Path | None
    report: Path | None
    waiting: tuple[Step, ...] = ()  # with a stage filter: steps whose dependencies are not finished


def parse_shard(text: str) -> tuple[int, int] | None:
    """``"I/N"`` (0 <= I < N) -> (I, N); empty -> None."""
    if not text:
        return None
    parts = text.split("/")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts) or not 0 <= int(parts[0]) < int(parts[1]):
        raise SeccodegenError(f"--shard {text!r}: write I/N with 0 <= I < N, e.g. 0/2 and 1/2 for two processes")
    return int(parts[0]), int(parts[1])


def select(
    exp: Experiment, models: tuple[str, ...], stages: tuple[str, ...], methods: tuple[str, ...] = ()
) -> Experiment:
    """The experiment narrowed to some models and/or methods (checked names); the stages are
    checked too. A model none of whose methods is selected drops out."""
    for stage in stages:
        if stage not in STAGE_ORDER:
            raise SeccodegenError(f"--stages: unknown stage {stage!r}; choose from {', '.join(STAGE_ORDER)}")
    # methods are checked against the whole grid: a model narrowed away may be the one that has them
    known = {m for entry in exp.models for m in exp.methods_of(entry)}
    if models:
        names = [m.name for m in exp.models]
        unknown = [m for m in models if m not in names]
        if unknown:
            raise SeccodegenError(f"--models: {', '.join(unknown)} not in the experiment's models {names}")
        exp = dataclasses.replace(exp, models=tuple(m for m in exp.models if m.name in models))
    if methods:
        unknown = [m for m in methods if m not in known]
        if unknown:
            raise SeccodegenError(f"--methods: {', '.join(unknown)} not among the methods {sorted(known)}")
        entries = []
        for entry in exp.models:
            kept = tuple(m for m in exp.methods_of(entry) if m in methods)
            if kept:
                entries.append(dataclasses.replace(entry, methods=kept))
        exp = dataclasses.replace(exp, models=tuple(entries))
    return exp


def print_plan(plan: Plan, console: Console) -> None:
    table = Table(title=f"plan: {plan.experiment.name} ({len(plan.cells)} cells)")
    for col in ("stage", "step", "state", "path"):
        table.add_column(col)
    for stage, label, state, path in describe(plan):
        table.add_row(stage, label, f"[green]{state}[/]" if state == "cached" else f"[yellow]{state}[/]", path)
    console.print(table)
    for note in plan.notes:
        console.print(f"note: {note}")


RESTORED_MARK = "RESTORED.txt"  # written by scripts/published_samples.py restore


def present(step: Step) -> bool:
    """A finished step, or one whose published results were restored into its folder (no step ran
    here, so it has no manifest: the report uses its results, a run would still run it)."""
    return step.cached or (step.path / RESTORED_MARK).is_file()


def unfinished_cells(plan: Plan) -> list[str]:
    """Labels of the grid's cells whose judged results (or HumanEval step) are not finished."""
    missing = []
    for cell in plan.cells:
        c = cell.coords
        label = cell_label(c)
        if not present(cell.judge):
            missing.append(f"{label} (security samples)")
        if cell.humaneval is not None and not present(cell.humaneval) and c["prompt_style"] == "baseline":
            missing.append(f"{label} (HumanEval-X)")
    return missing


def run(
    exp: Experiment,
    dry_run: bool = False,
    force: bool = False,
    console: Console | None = None,
    models: tuple[str, ...] = (),
    stages: tuple[str, ...] = (),
    methods: tuple[str, ...] = (),
    report_only: bool = False,
    shard: tuple[int, int] | None = None,
    source: str = "<experiment>",
    cells: tuple[str, ...] = (),
) -> RunOutcome:
    """Run the grid (or the steps of some ``models``, ``methods`` and ``stages`` of it) and, unless narrowed
    to some stages, gather the results and build the report; ``cells`` (shell-style patterns over
    ``model/method/granularity/dataset_size/prompt_style``) narrows to those cells' steps. ``report_only`` runs nothing: it
    reports the cells that are finished (e.g. a grid run elsewhere) and names the others.
    ``source`` (the experiment file) names where a config problem is; every step's config,
    input path and model is checked before anything runs."""
    from seccodegen.report.core import ReportConfig
    from seccodegen.report.core import run as build_report

    console = console or Console(stderr=True)
    plan = build_plan(select(exp, models, stages, methods)).narrowed(cells)
    if not report_only:
        check_plan(plan, source, stages)
    if dry_run:
        print_plan(plan, Console())
        return RunOutcome(plan, None, None)
    if report_only:
        timings = None
    else:
        done = execute(plan, console, force=force, stages=stages, shard=shard)
        if stages or shard or models or methods or cells:  # part of the grid: no results table or report from it
            return RunOutcome(plan, None, None, tuple(done.waiting))
        timings = done.timings
    results = write_results(plan, timings)
    notes = tuple(plan.notes) + tuple(f"{name}: {spec}" for name, spec in plan.models.items())
    notes += tuple(f"not run: {label}" for label in unfinished_cells(plan))
    report_cfg = ReportConfig(
        results=str(Path(exp.out)), out=str(Path(exp.out) / "report"), title=exp.name, notes=notes
    )
    page = build_report(report_cfg, force=True)  # the report is derived data: always rebuilt
    return RunOutcome(plan, results, page)
