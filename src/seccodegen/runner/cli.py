"""CLI for the experiment runner."""

from __future__ import annotations

import typer

from seccodegen.cli_common import FORCE_OPTION, SET_OPTION


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_experiment(
        experiment: str = typer.Argument(..., help="experiment YAML (see configs/quick.yaml)"),
        dry_run: bool = typer.Option(False, "--dry-run", help="print the plan (cached/new per step) and stop"),
        overrides: list[str] = SET_OPTION,
        force: bool = FORCE_OPTION,
    ) -> None:
        """Run a grid of models x methods x granularities x sizes x prompt styles x suites, resumably."""
        from seccodegen.runner.core import run
        from seccodegen.runner.experiment import load_experiment

        outcome = run(load_experiment(experiment, overrides), dry_run=dry_run, force=force)
        if outcome.report:
            typer.echo(f"results: {outcome.results}")
            typer.echo(f"report: {outcome.report}")
