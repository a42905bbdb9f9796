"""CLI for the train stage (stub until the stage is built)."""

import typer

from seccodegen.cli_common import register_stub


def register(app: typer.Typer) -> None:
    register_stub(app, "train", "Fine-tune a causal LM (full, LoRA, IA3).")
