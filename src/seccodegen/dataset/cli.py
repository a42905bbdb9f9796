"""CLI for the dataset stage (stub until the stage is built)."""

import typer

from seccodegen.cli_common import register_stub


def register(app: typer.Typer) -> None:
    register_stub(app, "dataset", "Build fine-tuning sets from vulnerability-fix commits.")
