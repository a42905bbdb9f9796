"""Process layout for one or many devices: the same command runs alone, under ``torchrun`` or
under ``accelerate launch`` (both set RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR).

* adapters (lora, ia3, ...): DistributedDataParallel (each process holds the frozen base model;
  only adapter gradients are all-reduced);
* full fine-tuning on more than one process: FSDP2 (``fully_shard`` per decoder layer, then the
  root), so weights, gradients and AdamW states are sharded across processes.

Backend: NCCL on CUDA, gloo on CPU (the CPU path is what the tests run).

NVLink multicast (NVLS / symmetric-memory multicast) stays off in every process: some shared
GPU hosts forbid it, and a collective that tries it can hang. ``init_layout`` sets the three
switches below unless the user set them already.
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


@dataclass
class ProcessLayout:
    rank: int
    world: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def sum(self, values: list[float]) -> list[float]:
        """Element-wise sum over processes (one collective for all values)."""
        if not self.distributed:
            return list(values)
        t = torch.tensor(
            values, dtype=torch.float64, device=self.device if self.device.type == "cuda" else "cpu"
        )
        dist.all_reduce(t)
        return t.tolist()


NO_MULTICAST_ENV = {"NCCL_NVLS_ENABLE": "0", "TORCH_SYMM_MEM_DISABLE_MULTICAST": "1", "NVSHMEM_DISABLE_NVLS": "1"}


def init_layout() -> ProcessLayout:
    for key, value in NO_MULTICAST_ENV.items():
        os.environ.setdefault(key, value)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return ProcessLayout(rank, world, local_rank, device)


def shutdown(layout: ProcessLayout) -> None:
    """End the process group explicitly, after a barrier, once every rank finished its work.

    Left to interpreter exit, gloo's worker threads may still hold work objects with Python
    references while the interpreter is torn down, and the process aborts (``terminate called
    without an active exception``, SIGABRT) although training succeeded: timing-dependent, so it
    shows under load (pytorch/pytorch#190489). The barrier also keeps a rank that finished early
    from closing its connections while rank 0 still exports."""
    if layout.distributed and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def is_fsdp(module: torch.nn.Module) -> bool:
    try:
        from torch.distributed.fsdp import FSDPModule
    except ImportError:  # torch < 2.6
        return False
    return isinstance(module, FSDPModule)


def wrap_for_processes(scorer: torch.nn.Module, layout: ProcessLayout, full: bool) -> torch.nn.Module:
    """DDP for adapters, FSDP2 for full fine-tuning; unchanged on a single process."""
    if not layout.distributed:
        return scorer
    if full:
        from torch.distributed.fsdp import fully_shard

        base = scorer.model
        for layer in base.get_decoder().layers:
            fully_shard(layer)
        fully_shard(scorer)
        return scorer
    from torch.nn.parallel import DistributedDataParallel

    ids = [layout.local_rank] if layout.device.type == "cuda" else None
    return DistributedDataParallel(scorer, device_ids=ids)


def unwrap(module: torch.nn.Module) -> torch.nn.Module:
    """The TargetLogprobs scorer inside a DDP wrapper (FSDP2 wraps in place)."""
    return module.module if hasattr(module, "module") and not is_fsdp(module) else module


def no_grad_sync(module: torch.nn.Module, skip: bool) -> Any:
    """Skip the gradient all-reduce on micro-batches before the last of an optimizer step."""
    if is_fsdp(module):
        module.set_requires_gradient_sync(not skip)
        return nullcontext()
    if skip and hasattr(module, "no_sync"):
        return module.no_sync()
    return nullcontext()
