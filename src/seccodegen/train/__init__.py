"""The train stage: fine-tune a causal LM (full, LoRA, IA3, DoRA, QLoRA) on a built dataset.

``from seccodegen.train import TrainConfig, run``; ``run(cfg) -> Path`` of the artifact directory.
Importing this package does not import torch (``run`` imports the loop on first call).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seccodegen.train.config import IA3Settings, LoraSettings, TrainConfig

__all__ = ["IA3Settings", "LoraSettings", "TrainConfig", "run"]


def run(cfg: TrainConfig, force: bool = False, on_step: Any = None) -> Path:
    """Train as configured and return the artifact directory (see ``seccodegen.train.loop.run``)."""
    from seccodegen.train.loop import run as run_training

    return run_training(cfg, force=force, on_step=on_step)
