"""CLI for the demo stage (stub until the stage is built)."""

import typer

from seccodegen.cli_common import register_stub


def register(app: typer.Typer) -> None:
    register_stub(app, "demo", "Run the embedded demo end to end on CPU.")
