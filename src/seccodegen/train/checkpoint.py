"""Resumable checkpoints: ``OUT/checkpoints/step-NNNNNNN/state.pt`` with the trainable weights,
AdamW state, scheduler state and the step. Only trainable parameters are stored (an adapter
checkpoint of a 7B model is megabytes). Data order and dropout are functions of (seed, step), so
weights + optimizer + step are all a resumed run needs to reach the same final result.

Written by rank 0 into a temporary folder that is renamed when complete: a kill during a save
leaves the previous checkpoint intact.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import torch

from seccodegen.train.distributed import ProcessLayout, is_fsdp, unwrap

CHECKPOINTS = "checkpoints"


def _full_options(**kw: Any) -> Any:
    from torch.distributed.checkpoint.state_dict import StateDictOptions

    return StateDictOptions(full_state_dict=True, cpu_offload=True, **kw)


def trainable_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Trainable parameters by name (names relative to the scorer), gathered on every rank's CPU."""
    if is_fsdp(module):
        from torch.distributed.checkpoint.state_dict import get_model_state_dict

        return get_model_state_dict(module, options=_full_options())
    scorer = unwrap(module)
    return {n: p.detach().to("cpu", copy=True) for n, p in scorer.named_parameters() if p.requires_grad}


def optimizer_state(module: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    if is_fsdp(module):
        from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict

        return get_optimizer_state_dict(module, optimizer, options=_full_options())
    return optimizer.state_dict()


def save_checkpoint(
    out: Path,
    step: int,
    module: torch.nn.Module,
    optimizer: Any,
    scheduler: Any,
    layout: ProcessLayout,
    keep: int,
) -> None:
    weights = trainable_state(module)  # collectives under FSDP: every rank takes part
    optim = optimizer_state(module, optimizer)
    if layout.is_main:
        root = out / CHECKPOINTS
        final = root / f"step-{step:07d}"
        tmp = root / f".step-{step:07d}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        torch.save(
            {"step": step, "weights": weights, "optimizer": optim, "scheduler": scheduler.state_dict()},
            tmp / "state.pt",
        )
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        for old in list_checkpoints(out)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    layout.barrier()


def list_checkpoints(out: Path) -> list[Path]:
    root = out / CHECKPOINTS
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.name.startswith("step-") and (p / "state.pt").is_file())


def load_latest_checkpoint(out: Path, module: torch.nn.Module, optimizer: Any, scheduler: Any) -> int:
    """Restore the newest checkpoint into model/optimizer/scheduler; returns its step (0 if none)."""
    found = list_checkpoints(out)
    if not found:
        return 0
    state = torch.load(found[-1] / "state.pt", map_location="cpu", weights_only=False)
    if is_fsdp(module):
        from torch.distributed.checkpoint.state_dict import set_model_state_dict, set_optimizer_state_dict

        set_model_state_dict(module, state["weights"], options=_full_options(strict=False))
        set_optimizer_state_dict(module, optimizer, state["optimizer"], options=_full_options())
    else:
        params = dict(unwrap(module).named_parameters())
        with torch.no_grad():
            for name, value in state["weights"].items():
                params[name].copy_(value)
        optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    return int(state["step"])
