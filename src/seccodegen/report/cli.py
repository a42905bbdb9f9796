"""CLI for the report stage (stub until the stage is built)."""

import typer

from seccodegen.cli_common import register_stub


def register(app: typer.Typer) -> None:
    register_stub(app, "report", "Build the study's tables and plots.")
