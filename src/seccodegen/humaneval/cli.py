"""CLI for HumanEval-X C++: run, canonical (the harness's own check) and compare."""

from __future__ import annotations

from pathlib import Path

import typer

from seccodegen.cli_common import (
    CONFIG_OPTION,
    FORCE_OPTION,
    SET_OPTION,
    ExecConsentCommand,
    allow_exec_option,
    exec_consent,
)

humaneval_app = typer.Typer(help="HumanEval-X C++ pass@k and task-by-task comparisons.", no_args_is_help=True)


@humaneval_app.command("run", cls=ExecConsentCommand)
def run_cmd(
    data: str = typer.Option(..., "--data", help="humaneval_cpp.jsonl(.gz)"),
    model: str = typer.Option(None, "--model", "-m", help="HF folder, hub id, .gguf or builtin:..."),
    adapter: str = typer.Option(None, "--adapter", help="peft adapter folder"),
    out: str = typer.Option("humaneval", "--out", "-o", help="output directory"),
    n: int = typer.Option(None, "--n", help="samples per task (default 10)"),
    limit: int = typer.Option(None, "--limit", help="only the first N tasks"),
    allow_exec: str = allow_exec_option("consent to execute generated code"),
    config: Path = CONFIG_OPTION,
    overrides: list[str] = SET_OPTION,
    force: bool = FORCE_OPTION,
) -> None:
    """Generate N completions per task, execute them in the sandbox, and report pass@1/pass@10."""
    _run({"data": data, "model": model, "adapter": adapter, "out": out, "n": n, "limit": limit,
          "allow_exec": exec_consent(allow_exec)}, config, overrides, force)


@humaneval_app.command("canonical", cls=ExecConsentCommand)
def canonical_cmd(
    data: str = typer.Option(..., "--data", help="humaneval_cpp.jsonl(.gz)"),
    out: str = typer.Option("humaneval-canonical", "--out", "-o", help="output directory"),
    allow_exec: str = allow_exec_option("consent to execute the solutions"),
    force: bool = FORCE_OPTION,
) -> None:
    """Run the canonical solutions through the harness: all should pass where libraries are installed."""
    _run({"data": data, "out": out, "canonical": True, "n": 1, "allow_exec": exec_consent(allow_exec)}, None, [], force)


def _run(base: dict, config: Path | None, overrides: list[str], force: bool) -> None:
    import json

    from seccodegen.config import load_config
    from seccodegen.humaneval.core import HumanEvalConfig, run

    out = run(load_config(HumanEvalConfig, config, overrides, base=base), force=force)
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
