"""CLI for the runner stage (stub until the stage is built)."""

import typer

from seccodegen.cli_common import register_stub


def register(app: typer.Typer) -> None:
    register_stub(app, "run", "Run a whole experiment grid from YAML.")
