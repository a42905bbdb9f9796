"""The HF ``generate`` ways of benchmarks/sample_bench.py, batch sizing, and two side measurements.

* :func:`hf_generate`: one ``model.generate`` call, sampling at temperature 0.8 / top-p 0.9, no
  top-k, exactly ``new_tokens`` new tokens (EOS disabled by the caller's model config).
* :func:`run_batched`: all rows in equal generate calls, halving the batch on out-of-memory.
  ``static=True`` is the (d) setup: ``cache_implementation="static"``. With a static cache,
  transformers 5.x compiles the decode step by itself on a GPU
  (``GenerationMixin._valid_auto_compile_criteria``: CUDA device + a compileable, non-dynamic
  cache), with ``generation_config.compile_config`` or, if unset, ``CompileConfig()``: inductor,
  ``mode="reduce-overhead"`` (CUDA graphs), ``fullgraph=False``; the prefill runs eagerly. On
  CPU it does not compile unless ``compile_config._compile_all_devices`` is set (``--compile-on-cpu``).
* :func:`rows_that_fit`: the largest batch from free GPU memory: KV cache of every row for
  prompt + new tokens (a static cache allocates exactly that; HF's dynamic cache grows to it,
  concatenating one layer at a time) plus 15% and 8 MB per row for prefill activations and
  vocab-sized sampling buffers, within 90% of free memory. The batch is then the largest divisor
  of the row count not above that, so every call has the same shape (one compilation for (d)).
"""

from __future__ import annotations

import time
from typing import Any

FREE_MEMORY_SHARE = 0.9
KV_SLACK = 1.15
ROW_EXTRA_BYTES = 8e6


def sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def hf_generate(model, input_ids, n: int, new_tokens: int, static: bool = False, compile_config=None):
    import torch

    extra: dict[str, Any] = {"cache_implementation": "static"} if static else {}
    if compile_config is not None:
        extra["compile_config"] = compile_config
    out = model.generate(
        input_ids=input_ids,
        attention_mask=torch.ones_like(input_ids),
        do_sample=True,
        temperature=0.8,
        top_p=0.9,
        top_k=0,
        max_new_tokens=new_tokens,
        num_return_sequences=n,
        pad_token_id=0,
        **extra,
    )
    assert out.shape[1] == input_ids.shape[1] + new_tokens, "a sequence stopped early"
    return out


def kv_bytes_per_row(config: Any, elem_bytes: int, tokens: int) -> int:
    heads = config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    return 2 * config.num_hidden_layers * kv_heads * head_dim * elem_bytes * tokens


def rows_that_fit(model: Any, tokens_per_row: int, device: str) -> int | None:
    """Rows of ``tokens_per_row`` KV tokens that fit free GPU memory; None on CPU (no limit)."""
    import torch

    if not device.startswith("cuda"):
        return None
    elem = torch.finfo(model.dtype).bits // 8
    per_row = kv_bytes_per_row(model.config, elem, tokens_per_row) * KV_SLACK + ROW_EXTRA_BYTES
    free, _ = torch.cuda.mem_get_info()
    free += torch.cuda.memory_reserved() - torch.cuda.memory_allocated()
    return max(1, int(free * FREE_MEMORY_SHARE / per_row))


def largest_divisor_at_most(total: int, cap: int) -> int:
    return max(d for d in range(1, min(total, max(cap, 1)) + 1) if total % d == 0)


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower()


def drop_compiled(model: Any) -> None:
    """Forget generate's compiled decode step (and the CUDA graph memory it holds)."""
    import torch

    for attr in ("_compiled_call", "_last_compile_config"):
        if hasattr(model, attr):
            delattr(model, attr)
    torch.compiler.reset()


def run_batched(model, rows, batch: int, new_tokens: int, device: str, tag: str, static: bool = False,
                compile_config=None, warm_first: bool = False) -> dict:  # fmt: skip
    """Generate all ``rows`` (one sample each) in calls of ``batch`` rows; halve on out-of-memory.

    ``warm_first``: run one untimed call of the same shape first (for (d): compilation and CUDA
    graph recording happen there; its time is returned as ``first_call_s``)."""
    total = rows.shape[0]
    while True:
        try:
            first = None
            if warm_first:
                sync(device)
                t0 = time.perf_counter()
                hf_generate(model, rows[:batch], 1, new_tokens, static, compile_config)
                sync(device)
                first = time.perf_counter() - t0
            sync(device)
            t0 = time.perf_counter()
            for start in range(0, total, batch):
                hf_generate(model, rows[start : start + batch], 1, new_tokens, static, compile_config)
            sync(device)
            seconds = time.perf_counter() - t0
            break
        except Exception as exc:  # noqa: BLE001  (only out-of-memory is retried)
            if not is_out_of_memory(exc) or batch == 1:
                raise
            if static:
                drop_compiled(model)
            smaller = largest_divisor_at_most(total, batch // 2)
            print(f"({tag}) out of GPU memory at {batch} rows per call; retrying with {smaller}", flush=True)
            batch = smaller
            import gc

            import torch

            gc.collect()
            if device.startswith("cuda"):
                torch.cuda.empty_cache()
    calls = -(-total // batch)
    out = {
        "seconds": seconds,
        "batch": batch,
        "calls": calls,
        "ms_per_step": 1000 * seconds / (calls * new_tokens),
    }
    if first is not None:
        out["first_call_s"] = first
    if static:
        out["compiled"] = hasattr(model, "_compiled_call")
    return out


def sampler_bench(device: str, rows: int, vocab: int = 32016, iters: int = 20) -> dict:
    """ms per decode step of temperature 0.8 + top-p 0.9 sampling: HF's warpers + multinomial
    (what generate runs) vs ours (one sort, inverse CDF) vs ours on a GPU (the Triton kernel,
    default launch and a few others: ``kernel_ms`` by (block, ways, warps))."""
    import torch
    from transformers.generation.logits_process import TemperatureLogitsWarper, TopPLogitsWarper

    from seccodegen.sample.sampler import KernelSampler, sample_top_p

    logits = torch.randn(rows, vocab, device=device, dtype=torch.bfloat16) * 3
    uniforms = torch.rand(rows, device=device, dtype=torch.float64)
    warpers = [TemperatureLogitsWarper(0.8), TopPLogitsWarper(0.9)]

    def hf_step():
        scores = logits.float()
        for w in warpers:
            scores = w(None, scores)
        return torch.multinomial(scores.softmax(-1), 1)

    def ms(fn) -> float:
        fn()
        sync(device)
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        sync(device)
        return 1000 * (time.perf_counter() - t0) / iters

    timings = {"hf_warpers_ms": ms(hf_step), "ours_ms": ms(lambda: sample_top_p(logits, 0.8, 0.9, uniforms))}
    if device == "cuda":
        launches = [None, (1024, 16, 8), (1024, 8, 4), (2048, 16, 8), (4096, 8, 4), (512, 16, 4)]
        per = {}
        for launch in launches:
            sampler = KernelSampler(launch)
            try:
                per[str(launch or "default")] = ms(lambda s=sampler: s(logits, 0.8, 0.9, uniforms))
            except Exception as exc:  # noqa: BLE001  (a setting Triton cannot compile: say so, go on)
                per[str(launch)] = f"failed: {type(exc).__name__}"
        timings["kernel_ms"] = per
    return {"rows": rows, "vocab": vocab, **timings}


def profile_ours(engine, prompts, args, device: str) -> None:
    """Kernel-time table of one batch of ours without graphs (same kernels, visible one by one)."""
    from torch.profiler import ProfilerActivity, profile

    engine.close()
    engine.cuda_graphs, engine.fused_kernels, engine.decode_attention = False, None, "auto"  # as (c)
    groups = max(1, engine.rows_per_batch(args.new_tokens) // args.samples)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device == "cuda" else [])
    with profile(activities=activities) as prof:
        engine.generate_ids(prompts[:groups].tolist(), args.samples, 0.8, 0.9, 24, seed=0)
        sync(device)
    averages = prof.key_averages()
    for key in ("self_cuda_time_total", "self_device_time_total", "self_cpu_time_total"):
        try:
            table = averages.table(sort_by=key, row_limit=30)
            break
        except (AttributeError, KeyError, ValueError, RuntimeError):
            continue
    with open(args.profile, "w") as fh:
        fh.write(f"ours without CUDA graphs, {groups} groups x {args.samples} rows, 24 new tokens\n{table}\n")
    print(table)
    engine.close()
