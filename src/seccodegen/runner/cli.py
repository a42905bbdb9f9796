"""CLI for the experiment runner."""

from __future__ import annotations

import typer

from seccodegen.cli_common import FORCE_OPTION, echo_report, set_option
from seccodegen.config_flags import STAGE_OPTIONS, StageOptions
from seccodegen.runner.experiment import Experiment

# the experiment file's keys: documented and shown by `seccodegen config show run`, set by --set
OPTIONS = StageOptions(
    "run", Experiment, "seccodegen run EXPERIMENT", set_example="train.max_steps=50", fields_as_flags=False
)


def register(app: typer.Typer) -> None:
    STAGE_OPTIONS.register(OPTIONS.stage, OPTIONS)

    @app.command("run")
    def run_experiment(
        experiment: str = typer.Argument(..., help="experiment YAML (see configs/quick.yaml)"),
        dry_run: bool = typer.Option(False, "--dry-run", help="print the plan (cached/new per step) and stop"),
        overrides: list[str] = set_option(OPTIONS.set_example),
        force: bool = FORCE_OPTION,
        models: str = typer.Option("", "--models", help="only these model names (comma-separated)"),
        methods: str = typer.Option(
            "", "--methods", help="only these methods or recipes (comma-separated), e.g. new cells of a grid"
        ),
        stages: str = typer.Option(
            "", "--stages", help="only steps of these stages whose inputs are finished, e.g. judge,humaneval; "
            "no report (split a grid over processes or machines)"
        ),
        shard: str = typer.Option(
            "", "--shard", help="I/N: only work unit k with k % N == I (units: each training step with its "
            "samples, judges and HumanEval; each model's pretrained cells); run N of these side by side"
        ),
        cells: str = typer.Option(
            "", "--cells", help="only these cells: shell-style patterns over model/method/granularity/size/"
            "prompt (comma-separated), e.g. 'qwen-coder-0.5b/full/*/*/baseline'"
        ),
        report_only: bool = typer.Option(
            False, "--report-only", help="run nothing: report the finished cells and name the missing ones"
        ),
    ) -> None:
        """Run a grid of models x methods x granularities x sizes x prompt styles x suites, resumably."""
        from seccodegen.runner.core import parse_shard, run
        from seccodegen.runner.experiment import load_experiment

        def names(text: str) -> tuple[str, ...]:
            return tuple(n.strip() for n in text.split(",") if n.strip())

        outcome = run(
            load_experiment(experiment, overrides), dry_run=dry_run, force=force,
            models=names(models), methods=names(methods), stages=names(stages), report_only=report_only, shard=parse_shard(shard),
            source=experiment, cells=names(cells),
        )  # fmt: skip
        if (stages or shard or models or methods or cells) and not dry_run:
            typer.echo(f"waiting: {len(outcome.waiting)} steps (their inputs are not finished yet)")
        if outcome.report:
            typer.echo(f"results: {outcome.results}")
            echo_report(outcome.report)
