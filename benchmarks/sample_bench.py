"""Sampling throughput: HF generate per scenario (a), HF generate batched (b), ours (c).

A CodeLlama-7B-shaped Llama with random bf16 weights (speed does not depend on the values),
built directly on the GPU (meta init, ``to_empty``, ``normal_``). Random 60-token prompts
stand in for the 52 scenarios; each gets 30 samples of exactly 100 new tokens: EOS is
disabled in all three ways (random weights would otherwise stop at random points), and all
three sample temperature 0.8 / top-p 0.9 with no top-k. Token ids in, token ids out: no
tokenizer in any of the three.

    python benchmarks/sample_bench.py            # GPU, full size (the numbers in docs/performance.md)
    python benchmarks/sample_bench.py --tiny     # CPU smoke run with small shapes
"""

from __future__ import annotations

import argparse
import json
import time


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true", help="small shapes on CPU (a smoke test of this script)")
    ap.add_argument("--scenarios", type=int, default=52)
    ap.add_argument("--samples", type=int, default=30)
    ap.add_argument("--prompt-len", type=int, default=60)
    ap.add_argument("--new-tokens", type=int, default=100)
    ap.add_argument(
        "--a-scenarios", type=int, default=3, help="(a) is timed on this many scenarios, extrapolated"
    )
    ap.add_argument("--baseline-batch", type=int, default=512, help="(b): rows per generate call (balanced)")
    ap.add_argument("--max-batch", type=int, default=0, help="(c): rows per batch (0 = from free GPU memory)")
    ap.add_argument("--json", default="", help="also write the results to this JSON file")
    ap.add_argument(
        "--profile", default="", help="also profile a short run of ours (no graphs) into this file"
    )
    return ap.parse_args(argv)


def build_model(tiny: bool, device: str):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

    shape = (
        {
            "hidden_size": 128,
            "intermediate_size": 344,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 4,
        }
        if tiny
        else {
            "hidden_size": 4096,
            "intermediate_size": 11008,
            "num_hidden_layers": 32,
            "num_attention_heads": 32,
            "num_key_value_heads": 32,
        }
    )
    config = LlamaConfig(
        vocab_size=32016,
        max_position_embeddings=16384,
        rope_theta=1e6,
        bos_token_id=None,
        eos_token_id=None,
        pad_token_id=0,
        **shape,
    )
    dtype = torch.float32 if tiny else torch.bfloat16
    with torch.device("meta"):
        model = LlamaForCausalLM(config).to(dtype)
    model.to_empty(device=device)
    gen = torch.Generator(device=device).manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            if p.ndim == 1:  # RMSNorm weights
                p.fill_(1.0)
            else:
                p.normal_(0.0, 0.02, generator=gen)
        # to_empty left the RoPE inverse frequencies uninitialised: rebuild them on the device
        model.model.rotary_emb = LlamaRotaryEmbedding(config).to(device)  # small: built on CPU
    model.generation_config.eos_token_id = None
    model.generation_config.bos_token_id = None
    model.generation_config.pad_token_id = 0
    return model.eval()


class _IdsOnly:
    """Tokenizer stand-in for token-level generation: padding id only, no EOS."""

    pad_token_id = 0
    eos_token_id = None
    bos_token = None

    def decode(self, ids, skip_special_tokens=True):
        return " ".join(map(str, ids))


def sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def peak_gb(device: str) -> float:
    import torch

    return torch.cuda.max_memory_allocated() / 1e9 if device.startswith("cuda") else 0.0


def reset_peak(device: str) -> None:
    import gc

    import torch

    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def hf_generate(model, input_ids, n: int, new_tokens: int):
    import torch

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
    )
    assert out.shape[1] == input_ids.shape[1] + new_tokens, "a sequence stopped early"
    return out


def profile_ours(engine, prompts, args, device: str) -> None:
    """Kernel-time table of one batch of ours without graphs (same kernels, visible one by one)."""
    from torch.profiler import ProfilerActivity, profile

    engine.close()
    engine.cuda_graphs = False
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


def sampler_bench(device: str, rows: int, vocab: int = 32016, iters: int = 20) -> dict:
    """ms per decode step of temperature 0.8 + top-p 0.9 sampling: HF's warpers + multinomial
    (what generate runs) vs ours (one sort, inverse CDF)."""
    import torch
    from transformers.generation.logits_process import TemperatureLogitsWarper, TopPLogitsWarper

    from seccodegen.sample.sampler import sample_top_p

    logits = torch.randn(rows, vocab, device=device, dtype=torch.bfloat16) * 3
    uniforms = torch.rand(rows, device=device, dtype=torch.float64)
    warpers = [TemperatureLogitsWarper(0.8), TopPLogitsWarper(0.9)]

    def hf_step():
        scores = logits.float()
        for w in warpers:
            scores = w(None, scores)
        return torch.multinomial(scores.softmax(-1), 1)

    timings = {}
    for name, fn in (
        ("hf_warpers_ms", hf_step),
        ("ours_ms", lambda: sample_top_p(logits, 0.8, 0.9, uniforms)),
    ):
        fn()
        sync(device)
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        sync(device)
        timings[name] = 1000 * (time.perf_counter() - t0) / iters
    return {"rows": rows, "vocab": vocab, **timings}


def main(argv: list[str] | None = None) -> dict:
    import torch
    import transformers

    from seccodegen.sample.hf_engine import HFEngine

    args = parse_args(argv)
    device = "cpu" if args.tiny or not torch.cuda.is_available() else "cuda"
    if args.tiny:
        args.scenarios, args.samples, args.new_tokens = min(args.scenarios, 4), min(args.samples, 3), 8
        args.a_scenarios, args.baseline_batch = 1, 6
    from machine import describe_machine, header  # benchmarks/machine.py

    machine = describe_machine()
    print(header())
    print(f"versions: torch {torch.__version__}, transformers {transformers.__version__}")
    t0 = time.perf_counter()
    model = build_model(args.tiny, device)
    sync(device)
    print(
        f"model: {sum(p.numel() for p in model.parameters()) / 1e9:.2f} B params, built in "
        f"{time.perf_counter() - t0:.1f} s on {device}"
    )
    gen = torch.Generator().manual_seed(1234)
    prompts = torch.randint(3, 32016, (args.scenarios, args.prompt_len), generator=gen).to(device)
    total_tokens = args.scenarios * args.samples * args.new_tokens
    results: dict = {"machine": machine, "total_tokens": total_tokens, "config": vars(args)}
    torch.manual_seed(0)

    # warm-up: CUDA context, cuBLAS handles, kernels for both code paths
    hf_generate(model, prompts[:1], 2, 4)
    engine = HFEngine(model, _IdsOnly(), device, max_batch=args.max_batch or None, ignore_eos=True)
    engine.generate_ids(prompts[:2].tolist(), args.samples, 0.8, 0.9, 4, seed=0)

    # (a) HF generate, one scenario (30 samples) per call, timed on a few scenarios
    reset_peak(device)
    sync(device)
    t0 = time.perf_counter()
    for i in range(args.a_scenarios):
        hf_generate(model, prompts[i : i + 1], args.samples, args.new_tokens)
    sync(device)
    per_scenario = (time.perf_counter() - t0) / args.a_scenarios
    results["a"] = {
        "label": f"HF generate, one scenario at a time (timed {args.a_scenarios}, extrapolated to {args.scenarios})",
        "seconds": per_scenario * args.scenarios,
        "seconds_per_scenario": per_scenario,
        "tokens_per_s": args.samples * args.new_tokens / per_scenario,
        "peak_gb": peak_gb(device),
    }
    print(json.dumps({"a": results["a"]}))

    # (b) HF generate with plain batching: all rows in balanced generate calls of ~baseline_batch
    rows = prompts.repeat_interleave(args.samples, dim=0)
    chunks = max(1, round(rows.shape[0] / args.baseline_batch))
    reset_peak(device)
    sync(device)
    t0 = time.perf_counter()
    for chunk in rows.chunk(chunks):
        hf_generate(model, chunk, 1, args.new_tokens)
    sync(device)
    seconds = time.perf_counter() - t0
    results["b"] = {
        "label": f"HF generate, batched ({chunks} calls of {-(-rows.shape[0] // chunks)} rows)",
        "seconds": seconds,
        "tokens_per_s": total_tokens / seconds,
        "peak_gb": peak_gb(device),
        "ms_per_step": 1000 * seconds / (chunks * args.new_tokens),
    }
    print(json.dumps({"b": results["b"]}))

    # (c) ours: prefix-shared static-KV decode loop, per-row random streams, one-sort top-p;
    # on the GPU each decode step is one CUDA graph replay. (c0): the same without graphs.
    reset_peak(device)  # return (b)'s cached blocks first: the batch size is sized from free memory
    rows_cap = engine.rows_per_batch(args.new_tokens)
    variants = [("c", None)] + ([("c0", False)] if device == "cuda" else [])
    for key, graphs in variants:
        engine.close()
        engine.cuda_graphs = graphs
        reset_peak(device)
        while True:
            try:
                sync(device)
                t0 = time.perf_counter()
                out = engine.generate_ids(prompts.tolist(), args.samples, 0.8, 0.9, args.new_tokens, seed=0)
                sync(device)
                seconds = time.perf_counter() - t0
                break
            except torch.cuda.OutOfMemoryError:  # the automatic size was too big: halve it, say so
                engine.close()
                rows_cap = engine.max_batch = rows_cap // 2
                print(f"({key}) out of GPU memory; retrying with {rows_cap} rows per batch")
                reset_peak(device)
            except Exception as exc:  # noqa: BLE001  (keep (a)/(b) and the other variant: report, go on)
                import traceback

                traceback.print_exc()
                print(f"({key}) failed: {exc!r}")
                seconds = None
                break
        if seconds is None:
            continue
        assert all(len(ids) == args.new_tokens for per in out for ids, _ in per), "a sequence stopped early"
        what = "CUDA graphs" if graphs is None and device == "cuda" else "no CUDA graphs"
        results[key] = {
            "label": f"ours (hf backend, {what}, up to {rows_cap} rows per batch)",
            "seconds": seconds,
            "tokens_per_s": total_tokens / seconds,
            "peak_gb": peak_gb(device),
        }
        print(json.dumps({key: results[key]}))
    engine.close()
    if args.profile:
        profile_ours(engine, prompts, args, device)
    results["sampler"] = sampler_bench(device, rows_cap if device == "cuda" else 8)
    print(json.dumps({"sampler": results["sampler"]}))
    best = "c" if "c" in results else "c0"
    results["speedup_vs_b"] = results[best]["tokens_per_s"] / results["b"]["tokens_per_s"]
    results["speedup_vs_a"] = results[best]["tokens_per_s"] / results["a"]["tokens_per_s"]
    for key in ("a", "b", "c", "c0"):
        if key not in results:
            continue
        r = results[key]
        print(
            f"({key}) {r['label']}: {r['tokens_per_s']:,.0f} tokens/s, {r['seconds']:.1f} s, peak {r['peak_gb']:.1f} GB"
        )
    print(f"sample speedup vs batched HF generate baseline: {results['speedup_vs_b']:.1f}x")
    print(f"sample speedup vs per-scenario HF generate baseline: {results['speedup_vs_a']:.1f}x")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return results


if __name__ == "__main__":
    main()
