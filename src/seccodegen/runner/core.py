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
from seccodegen.runner.plan import STAGE_ORDER, Plan, Step, build_plan, describe


@dataclass(frozen=True)
class RunOutcome:
    plan: Plan
    results: Path | None
    report: Path | None
    waiting: tuple[Step, ...] = ()  # with a stage filter: steps whose dependencies are not finished


def select(exp: Experiment, models: tuple[str, ...], stages: tuple[str, ...]) -> Experiment:
    """The experiment narrowed to some models (checked names); the stages are checked too."""
    for stage in stages:
        if stage not in STAGE_ORDER:
            raise SeccodegenError(f"--stages: unknown stage {stage!r}; choose from {', '.join(STAGE_ORDER)}")
    if not models:
        return exp
    names = [m.name for m in exp.models]
    unknown = [m for m in models if m not in names]
    if unknown:
        raise SeccodegenError(f"--models: {', '.join(unknown)} not in the experiment's models {names}")
    return dataclasses.replace(exp, models=tuple(m for m in exp.models if m.name in models))


def print_plan(plan: Plan, console: Console) -> None:
    table = Table(title=f"plan: {plan.experiment.name} ({len(plan.cells)} cells)")
    for col in ("stage", "step", "state", "path"):
        table.add_column(col)
    for stage, label, state, path in describe(plan):
        table.add_row(stage, label, f"[green]{state}[/]" if state == "cached" else f"[yellow]{state}[/]", path)
    console.print(table)
    for note in plan.notes:
        console.print(f"note: {note}")


def run(
    exp: Experiment,
    dry_run: bool = False,
    force: bool = False,
    console: Console | None = None,
    models: tuple[str, ...] = (),
    stages: tuple[str, ...] = (),
) -> RunOutcome:
    """Run the grid (or the steps of some ``models`` and ``stages`` of it) and, unless narrowed
    to some stages, gather the results and build the report."""
    from seccodegen.report.core import ReportConfig
    from seccodegen.report.core import run as build_report

    console = console or Console(stderr=True)
    plan = build_plan(select(exp, models, stages))
    if dry_run:
        print_plan(plan, Console())
        return RunOutcome(plan, None, None)
    done = execute(plan, console, force=force, stages=stages)
    if stages:  # part of the work: no results table or report from it
        return RunOutcome(plan, None, None, tuple(done.waiting))
    results = write_results(plan, done.timings)
    notes = tuple(plan.notes) + tuple(f"{name}: {spec}" for name, spec in plan.models.items())
    report_cfg = ReportConfig(
        results=str(Path(exp.out)), out=str(Path(exp.out) / "report"), title=exp.name, notes=notes
    )
    page = build_report(report_cfg, force=True)  # the report is derived data: always rebuilt
    return RunOutcome(plan, results, page)
