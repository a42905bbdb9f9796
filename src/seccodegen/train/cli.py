"""CLI for the train stage: ``seccodegen train --model M --data D --out DIR``.

Multi-GPU: the same command under ``torchrun --nproc_per_node N -m seccodegen.cli train ...`` or
``accelerate launch -m seccodegen.cli train ...`` (DDP for adapters, FSDP2 for full).
"""

from __future__ import annotations

import os

import typer

from seccodegen.cli_common import CONFIG_OPTION, FORCE_OPTION, SET_OPTION


def register(app: typer.Typer) -> None:
    @app.command(
        "train",
        help="Fine-tune a causal LM (full, lora, ia3, dora, qlora) on a dataset. Objectives: lm, masked-lm, "
        "unlikelihood, dpo; --mix-data/--mix-ratio mix general instruction data in (plain lm loss). "
        "Other settings with --set (e.g. pairs.kl_weight, pairs.dpo_beta); see docs/training.md.",
    )
    def train(
        model: str | None = typer.Option(
            None, "--model", "-m", help="HF folder, hub id, .gguf or builtin:tiny-random."
        ),
        data: str | None = typer.Option(None, "--data", "-d", help="Dataset dir or a train .jsonl file."),
        out: str | None = typer.Option(None, "--out", "-o", help="Artifact directory to write."),
        granularity: str | None = typer.Option(
            None, "--granularity", "-g", help="file, function, block or line."
        ),
        method: str | None = typer.Option(None, "--method", help="full, lora, ia3, dora or qlora."),
        objective: str | None = typer.Option(None, "--objective", help="lm, masked-lm, unlikelihood or dpo."),
        mix_data: str | None = typer.Option(
            None, "--mix-data", help="Instruction JSONL ({instruction, input, output}) to mix in."
        ),
        mix_ratio: float | None = typer.Option(
            None, "--mix-ratio", help="Fraction of training records drawn from --mix-data, in [0, 1)."
        ),
        config: str | None = CONFIG_OPTION,
        overrides: list[str] = SET_OPTION,
        force: bool = FORCE_OPTION,
    ) -> None:
        from seccodegen.config import load_config
        from seccodegen.train import TrainConfig, run

        base = {
            "model": model,
            "data": data,
            "out": out,
            "granularity": granularity,
            "method": method,
            "objective": objective,
            "mix_data": mix_data,
            "mix_ratio": mix_ratio,
        }
        cfg = load_config(TrainConfig, config, overrides, base=base)
        path = run(cfg, force=force)
        if os.environ.get("RANK", "0") == "0":  # one line, also under torchrun / accelerate launch
            typer.echo(f"wrote {path}")
