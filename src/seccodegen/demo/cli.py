"""CLI for the demo."""

from __future__ import annotations

import typer

from seccodegen.cli_common import (
    FORCE_OPTION,
    ExecConsentCommand,
    allow_exec_option,
    echo_report,
    exec_consent,
)


def register(app: typer.Typer) -> None:
    @app.command("demo", cls=ExecConsentCommand)
    def demo(
        out: str = typer.Option("seccodegen-demo", "--out", "-o", help="where the demo writes its artifacts"),
        allow_exec: str = allow_exec_option("also run the scenarios' unit tests on the samples"),
        force: bool = FORCE_OPTION,
    ) -> None:
        """Run the embedded demo on CPU: dataset -> LoRA -> sample -> judge -> report.html."""
        from seccodegen.demo.core import run

        outcome = run(out=out, allow_exec=exec_consent(allow_exec), force=force)
        echo_report(outcome.report)
