"""Peak GPU memory of each benchmark row, and an estimate of the largest model a path fits on one GPU.

Peak memory is ``torch.cuda.max_memory_allocated`` (tensors, not the allocator's cache), reset
before each row; printed in GiB (2^30 bytes).

Largest model (an **estimate**, printed as one): a row measured peak memory ``M`` with a model of
``P`` parameters. Memory is taken as linear in parameters, ``M = a + b·P``, and the one measured
point is read two ways, which bound the answer:

* **only per-parameter state grows** (upper figure): ``b`` = bytes the path keeps per parameter
  -- 2 for bf16 weights (sampling; LoRA/IA3 training, whose adapters with their gradients and
  AdamW moments are under 1% of P), 8 for full fine-tuning in bf16 (weights, gradients, both
  AdamW moments); ``a = M - b·P`` (activations, KV cache, logits, workspace at this row's batch and
  sequence length) stays fixed, so ``P_max = P + (C - M) / b``. Optimistic: activations and KV
  cache grow with the model's width and depth.
* **everything grows with the model** (lower figure): ``a = 0``, ``b = M / P``, so ``P_max = P·C / M``.

``C`` is the GPU's total memory (``torch.cuda.get_device_properties(0).total_memory``); on a
machine without a GPU (smoke runs) 141 GB is assumed, the H200's size.
"""

from __future__ import annotations

H200_BYTES = 141e9  # used only when there is no GPU to ask
STATE_BYTES_PER_PARAM = {"sample": 2, "lora": 2, "ia3": 2, "full": 8}


def reset_peak(device: str) -> None:
    """Free what the previous row left (cached blocks included) and restart the peak counter."""
    import gc

    import torch

    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_gib(device: str) -> float:
    import torch

    return torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else 0.0


def capacity_bytes(device: str) -> float:
    import torch

    return (
        float(torch.cuda.get_device_properties(0).total_memory) if device.startswith("cuda") else H200_BYTES
    )


def largest_model(peak_gib_: float, params: int, path: str, capacity: float) -> tuple[float, float] | None:
    """(lower, upper) estimate of the parameters that fit ``capacity`` bytes; None without a measurement."""
    peak = peak_gib_ * 2**30
    if peak <= 0 or params <= 0:
        return None
    per_param = STATE_BYTES_PER_PARAM[path]
    return params * capacity / peak, params + (capacity - peak) / per_param


def largest_model_line(label: str, peak_gib_: float, params: int, path: str, capacity: float) -> str:
    est = largest_model(peak_gib_, params, path, capacity)
    if est is None:
        return f"  {label}: n/a (no GPU peak memory measured)"
    low, high = est
    return (
        f"  {label}: {low / 1e9:.0f}-{high / 1e9:.0f} B parameters "
        f"(measured {peak_gib_:.1f} GiB at {params / 1e9:.2f} B)"
    )


def capacity_header(capacity: float, device: str) -> str:
    where = "this GPU" if device.startswith("cuda") else "an assumed 141 GB GPU (no GPU here)"
    return (
        f"largest model per path on {where}, {capacity / 2**30:.1f} GiB -- ESTIMATE, linear in parameters "
        "(lower: all memory grows with the model; upper: only weights/optimizer state grow; "
        "see benchmarks/gpu_memory.py):"
    )


def print_largest_models(rows: list[tuple[str, float, int, str]], device: str) -> None:
    """The estimate's header, then one line per ``(label, peak GiB, parameters, path)`` row."""
    capacity = capacity_bytes(device)
    print(capacity_header(capacity, device))
    for label, peak, params, path in rows:
        print(largest_model_line(label, peak, params, path, capacity))
