"""CLI for the humaneval stage (stub until the stage is built)."""

import typer

from seccodegen.cli_common import register_stub


def register(app: typer.Typer) -> None:
    register_stub(app, "humaneval", "HumanEval-X C++ pass@k and comparisons.")
