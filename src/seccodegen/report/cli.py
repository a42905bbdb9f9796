"""CLI for the report stage: ``seccodegen report RESULTS``; a flag per ReportConfig field."""

from __future__ import annotations

import typer

from seccodegen.cli_common import FORCE_OPTION, echo_report
from seccodegen.config_flags import LoadConfig, StageOptions, flag, stage_command
from seccodegen.report.config import ReportConfig

OPTIONS = StageOptions(
    "report", ReportConfig, "seccodegen report RESULTS", set_example="plots=false",
    flags={"out": flag("-o"), "notes": flag(split=False)}, own={"results": "RESULTS"},
)  # fmt: skip


def register(app: typer.Typer) -> None:
    @stage_command(app, "report", OPTIONS)
    def report(
        load: LoadConfig,
        results: str = typer.Argument(..., help="results table (.parquet/.csv/.jsonl) or a `run` experiment dir"),
        force: bool = FORCE_OPTION,
    ) -> None:
        """Build the study's tables (valid, secure, secure&correct, pass@1), per-CWE plots and Fisher tests."""
        from seccodegen.report.core import run

        echo_report(run(load(results=results), force=force))
