"""Model FLOP/s utilisation (MFU): each benchmark row's model FLOP/s over the machine's measured
bf16 matrix-multiply peak. Shared by sample_bench.py and train_bench.py.

Counting (N = parameters that take part in a matrix multiply: every 2-D weight of the model
except the input embedding table, which is a lookup -- i.e. the decoder's projections and the
LM head; L = decoder layers; d = hidden size = query heads x head dim; one multiply-add = 2 FLOPs):

* forward pass over one token that attends to ``c`` positions (itself included):
  ``2N + 4·L·d·c`` (the weights' matmuls, plus Q·K^T and P·V: 2·d·c each per layer; with
  grouped-query attention the query heads set the count, so d, not the KV width);
* **sampling** (:func:`sample_job_flops`): the job's prompts forwarded once each, then one forward
  per generated token at its context length (prompt + tokens before it). Work the engine could
  skip is not counted: a prompt shared by 30 samples counts once, padding never counts;
* **training** (:func:`train_token_flops`), per real (non-padding) token:
  - ``full``: forward + backward = 3x forward: ``6N + 12·L·d·c``;
  - ``lora`` / ``ia3`` (the figure printed as MFU): forward ``2N`` + backward through the frozen
    weights for activation gradients only ``2N`` (no weight gradients for them) = ``4N``, plus the
    adapter's own ``6·N_adapter``, plus attention ``12·L·d·c`` (attention matmuls have no weights:
    their backward is twice the forward, as in full). Also printed, as "MFU (6N)": the common
    shortcut ``6N + 12·L·d·c`` that counts frozen weights' gradients too (higher by about 1.5x);
  - ``c`` is the mean causal context of the trained tokens, :func:`mean_causal_context`
    (a token at position p of its sample attends to p+1 positions).
  No gradient checkpointing runs in these benchmarks, so there is no recompute to count either way.

Peak (:func:`measure_matmul_peak`): the best of several timed runs of ``size``^3 bf16 matrix
multiplies (default 8192: 1.1 TFLOP each) on the GPU. On CPU (smoke runs) a float32 product of
side 512: the number is only there so the code path runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelShape:
    """What the FLOP formulas need of a decoder-only model."""

    matmul_params: int  # N: 2-D weights except the input embedding table
    total_params: int  # every parameter (for memory estimates)
    layers: int  # L
    hidden: int  # d

    @classmethod
    def of(cls, model: Any) -> ModelShape:
        """Shape of an unwrapped transformers causal LM (call before adding adapters)."""
        emb = model.get_input_embeddings().weight
        out = model.get_output_embeddings()
        tied = out is not None and out.weight is emb  # a tied LM head is a matmul: counted once
        params = list(model.parameters())  # parameters() yields a shared tensor once
        matmul = sum(p.numel() for p in params if p.ndim == 2 and (p is not emb or tied))
        cfg = model.config
        return cls(matmul, sum(p.numel() for p in params), cfg.num_hidden_layers, cfg.hidden_size)


def mean_causal_context(lengths: list[int]) -> float:
    """Mean number of positions a token attends to, over all tokens of causal sequences of ``lengths``."""
    tokens = sum(lengths)
    return sum(s * (s + 1) / 2 for s in lengths) / tokens if tokens else 0.0


def sample_job_flops(shape: ModelShape, prompts: int, prompt_len: int, rows: int, new_tokens: int) -> float:
    """FLOPs of sampling ``rows`` sequences of ``new_tokens`` from ``prompts`` prompts of ``prompt_len``."""
    attn = 4 * shape.layers * shape.hidden
    prefill = prompts * (2 * shape.matmul_params * prompt_len + attn * prompt_len * (prompt_len + 1) / 2)
    # generated token t (0-based) attends to prompt_len + t + 1 positions
    ctx_sum = new_tokens * (prompt_len + 1) + new_tokens * (new_tokens - 1) / 2
    return prefill + rows * (2 * shape.matmul_params * new_tokens + attn * ctx_sum)


def train_token_flops(shape: ModelShape, method: str, adapter_params: int, mean_ctx: float) -> dict:
    """FLOPs per trained token: ``{"mfu": counted as documented above, "6N": the 6N shortcut}``."""
    n = shape.matmul_params
    attn = 12 * shape.layers * shape.hidden * mean_ctx
    six_n = 6 * n + attn
    if method == "full":
        return {"mfu": six_n, "6N": six_n}
    return {"mfu": 4 * n + 6 * adapter_params + attn, "6N": six_n}


def measure_matmul_peak(device: str, size: int = 8192, runs: int = 5, per_run: int = 10) -> dict:
    """Best FLOP/s of ``per_run`` back-to-back ``size``^3 matrix multiplies over ``runs`` timed runs."""
    import torch

    cuda = device.startswith("cuda")
    dtype = torch.bfloat16 if cuda else torch.float32
    size = size if cuda else min(size, 512)
    gen = torch.Generator(device=device).manual_seed(0)
    a = torch.randn(size, size, device=device, dtype=dtype, generator=gen)
    b = torch.randn(size, size, device=device, dtype=dtype, generator=gen)
    out = torch.empty(size, size, device=device, dtype=dtype)
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    for _ in range(3):  # warm-up: cuBLAS heuristics, clocks
        torch.matmul(a, b, out=out)
    best = float("inf")
    for _ in range(runs):
        sync()
        t0 = time.perf_counter()
        for _ in range(per_run):
            torch.matmul(a, b, out=out)
        sync()
        best = min(best, time.perf_counter() - t0)
    del a, b, out
    flops = 2 * size**3 * per_run / best
    return {"flops_per_s": flops, "size": size, "dtype": str(dtype).replace("torch.", "")}


def matmul_peak(device: str, given_tflops: float = 0.0) -> dict:
    """The peak to divide by: ``given_tflops`` (a figure measured earlier) or measured now."""
    if given_tflops > 0:
        return {"flops_per_s": given_tflops * 1e12, "size": 0, "dtype": "given on the command line"}
    return measure_matmul_peak(device)


def peak_line(peak: dict) -> str:
    how = f"{peak['size']}^3 {peak['dtype']}, best of runs" if peak["size"] else peak["dtype"]
    return f"matmul peak: {peak['flops_per_s'] / 1e12:.3g} TFLOP/s ({how})"
