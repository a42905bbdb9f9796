"""CLI for the demo."""

from __future__ import annotations

import typer

from seccodegen.cli_common import FORCE_OPTION


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        out: str = typer.Option("seccodegen-demo", "--out", "-o", help="where the demo writes its artifacts"),
        allow_exec: bool = typer.Option(
            False, "--allow-exec", help="also run the scenarios' unit tests on the samples (sandboxed)"
        ),
        force: bool = FORCE_OPTION,
    ) -> None:
        """Run the embedded demo on CPU: dataset -> LoRA -> sample -> judge -> report.html."""
        from seccodegen.demo.core import run

        outcome = run(out=out, allow_exec=allow_exec, force=force)
        typer.echo(f"report: {outcome.report}")
