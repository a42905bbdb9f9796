"""CLI for the train stage: ``seccodegen train --model M --data D --out DIR``; a flag per TrainConfig field.

Multi-GPU: the same command under ``torchrun --nproc_per_node N -m seccodegen.cli train ...`` or
``accelerate launch -m seccodegen.cli train ...`` (DDP for adapters, FSDP2 for full).
"""

from __future__ import annotations

import os

import typer

from seccodegen.cli_common import FORCE_OPTION
from seccodegen.config_flags import LoadConfig, StageOptions, flag, stage_command
from seccodegen.train.config import TrainConfig

OPTIONS = StageOptions(
    "train", TrainConfig, "seccodegen train", set_example="max_steps=200",
    flags={"model": flag("-m"), "data": flag("-d"), "out": flag("-o"), "granularity": flag("-g")},
)  # fmt: skip


def register(app: typer.Typer) -> None:
    @stage_command(app, "train", OPTIONS)
    def train(load: LoadConfig, force: bool = FORCE_OPTION) -> None:
        """Fine-tune a causal LM (full, lora, ia3, dora, qlora) on a dataset; objectives lm, masked-lm,
        unlikelihood, masked-unlikelihood, dpo. See docs/training.md."""
        from seccodegen.train import run

        path = run(load(), force=force)
        if os.environ.get("RANK", "0") == "0":  # one line, also under torchrun / accelerate launch
            typer.echo(f"wrote {path}")
