"""CLI for the scenarios stage (stub until the stage is built)."""

import typer

from seccodegen.cli_common import register_stub


def register(app: typer.Typer) -> None:
    register_stub(app, "scenarios", "List, show and validate scenario suites.")
