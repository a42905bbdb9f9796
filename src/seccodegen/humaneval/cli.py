"""CLI for HumanEval-X C++: run, canonical (the harness's own check) and compare."""

from __future__ import annotations

from pathlib import Path

import typer

from seccodegen.cli_common import FORCE_OPTION, ExecConsentCommand, allow_exec_option, exec_consent
from seccodegen.config_flags import LoadConfig, StageOptions, flag, stage_command
from seccodegen.humaneval.config import HumanEvalConfig

humaneval_app = typer.Typer(help="HumanEval-X C++ pass@k and task-by-task comparisons.", no_args_is_help=True)


OPTIONS = StageOptions(
    "humaneval", HumanEvalConfig, "seccodegen humaneval run", set_example="tasks_per_batch=41",
    flags={"data": flag(required=True), "model": flag("-m"), "out": flag("-o")},
    own={"allow_exec": "--allow-exec[=unsafe]"},
)  # fmt: skip


@stage_command(humaneval_app, "run", OPTIONS, cls=ExecConsentCommand)
def run_cmd(
    load: LoadConfig,
    allow_exec: str = allow_exec_option("consent to execute generated code"),
    force: bool = FORCE_OPTION,
) -> None:
    """Generate N completions per task, execute them in the sandbox, and report pass@1/pass@10."""
    _run(load(allow_exec=exec_consent(allow_exec)), force)


@humaneval_app.command("canonical", cls=ExecConsentCommand)
def canonical_cmd(
    data: str = typer.Option(..., "--data", help="humaneval_cpp.jsonl(.gz)"),
    out: str = typer.Option("humaneval-canonical", "--out", "-o", help="output directory"),
    allow_exec: str = allow_exec_option("consent to execute the solutions"),
    force: bool = FORCE_OPTION,
) -> None:
    """Run the canonical solutions through the harness: all should pass where libraries are installed."""
    cfg = HumanEvalConfig(data=data, out=out, canonical=True, n=1, allow_exec=exec_consent(allow_exec))
    _run(cfg, force)


def _run(cfg: HumanEvalConfig, force: bool) -> None:
    import json

    from seccodegen.humaneval.core import run

    out = run(cfg, force=force)
    summary = json.loads((out / "summary.json").read_text())
    for key, value in summary.items():
        typer.echo(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")
    typer.echo(f"results: {out}")


@humaneval_app.command("compare")
def compare_cmd(
    run_a: str = typer.Argument(..., help="first run directory (e.g. the pretrained model)"),
    run_b: str = typer.Argument(..., help="second run directory (e.g. a fine-tune)"),
    alpha: float = typer.Option(0.05, "--alpha", help="significance level"),
) -> None:
    """Fisher's exact test per task between two runs, and the study's Table 8 layout."""
    from seccodegen.humaneval.compare import compare

    result = compare(run_a, run_b, alpha)
    typer.echo(result.markdown(Path(run_a).name, Path(run_b).name), nl=False)


def register(app: typer.Typer) -> None:
    app.add_typer(humaneval_app, name="humaneval")
