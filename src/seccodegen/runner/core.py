"""``seccodegen run EXPERIMENT.yaml``: the whole grid, resumably, then the report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from seccodegen.report.core import ReportConfig
from seccodegen.report.core import run as build_report
from seccodegen.runner.execute import execute, write_results
from seccodegen.runner.experiment import Experiment
from seccodegen.runner.plan import Plan, build_plan, describe


@dataclass(frozen=True)
class RunOutcome:
    plan: Plan
    results: Path | None
    report: Path | None


def print_plan(plan: Plan, console: Console) -> None:
    table = Table(title=f"plan: {plan.experiment.name} ({len(plan.cells)} cells)")
    for col in ("stage", "step", "state", "path"):
        table.add_column(col)
    for stage, label, state, path in describe(plan):
        table.add_row(stage, label, f"[green]{state}[/]" if state == "cached" else f"[yellow]{state}[/]", path)
    console.print(table)
    for note in plan.notes:
        console.print(f"note: {note}")


def run(exp: Experiment, dry_run: bool = False, force: bool = False, console: Console | None = None) -> RunOutcome:
    console = console or Console(stderr=True)
    plan = build_plan(exp)
    if dry_run:
        print_plan(plan, Console())
        return RunOutcome(plan, None, None)
    timings = execute(plan, console, force=force)
    results = write_results(plan, timings)
    notes = tuple(plan.notes) + tuple(f"{name}: {spec}" for name, spec in plan.models.items())
    report_cfg = ReportConfig(
        results=str(Path(exp.out)), out=str(Path(exp.out) / "report"), title=exp.name, notes=notes
    )
    page = build_report(report_cfg, force=True)  # the report is derived data: always rebuilt
    return RunOutcome(plan, results, page)
