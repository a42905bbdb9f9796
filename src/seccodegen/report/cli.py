"""CLI for the report stage."""

from __future__ import annotations

from pathlib import Path

import typer

from seccodegen.cli_common import CONFIG_OPTION, FORCE_OPTION, SET_OPTION


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        results: str = typer.Argument(..., help="results table (.parquet/.csv/.jsonl) or a `run` experiment dir"),
        out: str = typer.Option("report", "--out", "-o", help="output directory"),
        humaneval: str = typer.Option(None, "--humaneval", help="per-task HumanEval rows (.csv/.parquet)"),
        title: str = typer.Option(None, "--title", help="page title"),
        config: Path = CONFIG_OPTION,
        overrides: list[str] = SET_OPTION,
        force: bool = FORCE_OPTION,
    ) -> None:
        """Build the study's tables (valid, secure, secure&correct, pass@1), per-CWE plots and Fisher tests."""
        from seccodegen.config import load_config
        from seccodegen.report.core import ReportConfig, run

        base = {"results": results, "out": out, "humaneval": humaneval, "title": title}
        cfg = load_config(ReportConfig, config, overrides, base=base)
        page = run(cfg, force=force)
        typer.echo(f"report: {page}")
