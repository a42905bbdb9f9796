"""Sampling throughput: the same job timed nine ways in one process on one GPU.

(a)  HF generate, one scenario (30 samples, ``num_return_sequences``) per call;
(b)  HF generate, plain batching: the rows in balanced calls of about ``--baseline-batch`` (512) rows;
(b') HF generate, plain batching at the largest batch that fits (from free GPU memory);
(d)  HF generate at that batch with its static KV cache (``cache_implementation="static"``), whose
     decode step transformers compiles itself (torch.compile, inductor, CUDA graphs);
(c)  ours: ``HFEngine`` (prefix-shared static KV, one CUDA graph replay per decode step);
(c0) ours without CUDA graphs;
(c1) ours with CUDA graphs, without the fused decode kernels (liger-kernel's RMSNorm, RoPE,
     SiLU*up; sample/fused_kernels.py) and with the batched-matmul attention;
(c2) ours with CUDA graphs and the fused kernels, attention as batched matmuls instead of the
     Triton decode attention kernel (sample/decode_attention.py);
(c3) ours as (c), but top-p sampling by one sort per step instead of the Triton sampling kernel
     (sample/top_p_kernel.py): what (c) was before it.

A CodeLlama-7B-shaped Llama with random bf16 weights (speed does not depend on the values),
built directly on the GPU (meta init, ``to_empty``, ``normal_``). Random 60-token prompts
stand in for the 52 scenarios; each gets 30 samples of exactly 100 new tokens: EOS is
disabled in every way (random weights would otherwise stop at random points), and all
sample temperature 0.8 / top-p 0.9 with no top-k. Token ids in, token ids out: no tokenizer.
Each row prints tokens/s, MFU against the measured matmul peak (benchmarks/mfu.py) and peak GPU
memory (benchmarks/gpu_memory.py); a row that fails prints ``row X failed: ...`` and the rest go on.

    python benchmarks/sample_bench.py                    # GPU, full size (docs/performance.md)
    python benchmarks/sample_bench.py --only "b',d,c"    # some rows only
    python benchmarks/sample_bench.py --tiny             # CPU smoke run with small shapes
"""

from __future__ import annotations

import argparse
import json
import time
import traceback

ROWS = ("a", "b", "b'", "c", "c0", "c1", "c2", "c3", "d")
HF_ROWS = ("a", "b", "b'", "d")


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
    ap.add_argument(
        "--hf-max-batch",
        type=int,
        default=0,
        help="(b'), (d): rows per call at most (0 = from free GPU memory)",
    )
    ap.add_argument(
        "--only", default=",".join(ROWS), help=f"rows to run, comma-separated, of {','.join(ROWS)}"
    )
    ap.add_argument("--peak-tflops", type=float, default=0.0, help="matmul peak for MFU (0 = measure it)")
    ap.add_argument(
        "--compile-on-cpu", action="store_true", help="(d) on CPU: compile too (slow; tests the code path)"
    )
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


def parse_only(text: str) -> list[str]:
    keys = [k.strip().replace("bmax", "b'") for k in text.split(",") if k.strip()]
    unknown = [k for k in keys if k not in ROWS]
    if unknown:
        raise SystemExit(f"--only: unknown row(s) {', '.join(unknown)}; choose from {','.join(ROWS)}")
    return keys


def static_compile_setup(args, device: str):
    """(d)'s compile_config and the words for its label: transformers compiles by itself on a GPU."""
    if device.startswith("cuda"):
        try:
            import triton  # noqa: F401  (inductor's GPU code generator)
        except ImportError as exc:
            raise RuntimeError(
                f"torch.compile on a GPU needs Triton, which is not importable here: {exc}"
            ) from exc
        return None, "compiled by transformers (torch.compile, inductor, reduce-overhead)"
    if args.compile_on_cpu:
        from transformers import CompileConfig

        config = CompileConfig(mode="default")
        config._compile_all_devices = True  # transformers' switch for compiling off-GPU (tests)
        return config, "compiled on CPU (--compile-on-cpu, inductor)"
    return None, "NOT compiled: transformers compiles generate only on a GPU (--compile-on-cpu forces it)"


def main(argv: list[str] | None = None) -> dict:
    import torch
    import transformers

    from seccodegen.sample.hf_engine import HFEngine
    from seccodegen.sample.sampler import sampler_for

    args = parse_args(argv)
    only = parse_only(args.only)
    device = "cpu" if args.tiny or not torch.cuda.is_available() else "cuda"
    if args.tiny:
        args.scenarios, args.samples, args.new_tokens = min(args.scenarios, 4), min(args.samples, 3), 8
        args.a_scenarios, args.baseline_batch = 1, 6
    from gpu_memory import peak_gib, reset_peak
    from machine import describe_machine, header  # benchmarks/machine.py
    from mfu import ModelShape, matmul_peak, peak_line, sample_job_flops
    from sample_rows import (
        drop_compiled,
        hf_generate,
        largest_divisor_at_most,
        profile_ours,
        rows_that_fit,
        run_batched,
        sampler_bench,
        sync,
    )

    machine = describe_machine()
    print(header())
    print(f"versions: torch {torch.__version__}, transformers {transformers.__version__}")
    t0 = time.perf_counter()
    model = build_model(args.tiny, device)
    sync(device)
    shape = ModelShape.of(model)
    print(
        f"model: {shape.total_params / 1e9:.2f} B params ({shape.matmul_params / 1e9:.2f} B in matmuls), "
        f"built in {time.perf_counter() - t0:.1f} s on {device}"
    )
    peak = matmul_peak(device, args.peak_tflops)
    print(peak_line(peak), flush=True)
    gen = torch.Generator().manual_seed(1234)
    prompts = torch.randint(3, 32016, (args.scenarios, args.prompt_len), generator=gen).to(device)
    rows = prompts.repeat_interleave(args.samples, dim=0)
    total_rows = rows.shape[0]
    total_tokens = total_rows * args.new_tokens
    job_flops = sample_job_flops(shape, args.scenarios, args.prompt_len, total_rows, args.new_tokens)
    results: dict = {
        "machine": machine, "total_tokens": total_tokens, "job_flops": job_flops, "config": vars(args),
        "matmul_peak_flops_per_s": peak["flops_per_s"], "params": shape.total_params,
    }  # fmt: skip
    torch.manual_seed(0)

    def record(key: str, label: str, seconds: float, **extra) -> None:
        results[key] = {
            "label": label, "seconds": seconds, "tokens_per_s": total_tokens / seconds,
            "mfu": job_flops / seconds / peak["flops_per_s"], "peak_gib": peak_gib(device), **extra,
        }  # fmt: skip
        print(json.dumps({key: results[key]}), flush=True)

    def attempt(key: str, fn) -> None:
        if key not in only:
            return
        reset_peak(device)
        try:
            fn()
        except Exception as exc:  # noqa: BLE001  (one row failing must not lose the others)
            traceback.print_exc()
            print(f"row {key} failed: {exc!r}", flush=True)

    # warm-up: CUDA context, cuBLAS handles, kernels for both code paths
    hf_generate(model, prompts[:1], 2, 4)
    engine = HFEngine(model, _IdsOnly(), device, max_batch=args.max_batch or None, ignore_eos=True)
    engine.generate_ids(prompts[:2].tolist(), args.samples, 0.8, 0.9, 4, seed=0)

    def row_a():  # one scenario (30 samples) per call, timed on a few scenarios, extrapolated
        sync(device)
        t0 = time.perf_counter()
        for i in range(args.a_scenarios):
            hf_generate(model, prompts[i : i + 1], args.samples, args.new_tokens)
        sync(device)
        per_scenario = (time.perf_counter() - t0) / args.a_scenarios
        label = f"HF generate, one scenario at a time (timed {args.a_scenarios}, extrapolated to {args.scenarios})"
        record("a", label, per_scenario * args.scenarios, seconds_per_scenario=per_scenario)

    def row_b():  # plain batching in balanced calls of ~baseline_batch rows (continuity with old runs)
        chunks = max(1, round(total_rows / args.baseline_batch))
        sync(device)
        t0 = time.perf_counter()
        for chunk in rows.chunk(chunks):
            hf_generate(model, chunk, 1, args.new_tokens)
        sync(device)
        seconds = time.perf_counter() - t0
        label = f"HF generate, batched ({chunks} calls of {-(-total_rows // chunks)} rows)"
        record("b", label, seconds, ms_per_step=1000 * seconds / (chunks * args.new_tokens))

    def hf_batch() -> tuple[int, str]:
        cap = args.hf_max_batch or rows_that_fit(model, args.prompt_len + args.new_tokens, device)
        if args.hf_max_batch:
            return largest_divisor_at_most(total_rows, cap), f"--hf-max-batch {cap}"
        if cap is None:
            return total_rows, "all rows: no GPU memory limit on CPU"
        return largest_divisor_at_most(total_rows, cap), f"free GPU memory fits ~{cap} rows"

    def row_b_max():
        batch, why = hf_batch()
        r = run_batched(model, rows, batch, args.new_tokens, device, "b'")
        label = f"HF generate, batched at the largest batch ({r['calls']} calls of {r['batch']} rows; {why})"
        record("b'", label, r.pop("seconds"), **r)

    rows_cap = 8  # (c)'s rows per batch: sized from free memory just before it runs

    def row_ours(key: str, graphs, fused=None, attention="auto", sampling="auto"):  # graphs on a GPU
        nonlocal rows_cap
        engine.close()
        engine.cuda_graphs, engine.fused_kernels, engine.decode_attention = graphs, fused, attention
        engine.sampler = sampler_for(device, sampling)
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
        assert all(len(ids) == args.new_tokens for per in out for ids, _ in per), "a sequence stopped early"
        what = "CUDA graphs" if graphs is None and device == "cuda" else "no CUDA graphs"
        what += f", {engine.decode_kernels}"
        record(key, f"ours (hf backend, {what}, up to {rows_cap} rows per batch)", seconds)

    def row_d():  # static cache + transformers' own compile of the decode step, at the largest batch
        compile_config, how = static_compile_setup(args, device)
        batch, why = hf_batch()
        try:
            r = run_batched(model, rows, batch, args.new_tokens, device, "d", static=True,
                            compile_config=compile_config, warm_first=True)  # fmt: skip
        finally:
            drop_compiled(model)
        if device.startswith("cuda") and not r["compiled"]:
            how = "NOT compiled (transformers declined to compile)"
        label = (
            f"HF generate, static cache, {how}, {r['calls']} calls of {r['batch']} rows ({why}); "
            f"untimed first call (compilation, if any) {r['first_call_s']:.1f} s"
        )
        record("d", label, r.pop("seconds"), **r)

    attempt("a", row_a)
    attempt("b", row_b)
    attempt("b'", row_b_max)
    reset_peak(device)  # return the HF rows' cached blocks first: ours sizes its batch from free memory
    if {"c", "c0", "c1", "c2", "c3"} & set(only):
        rows_cap = engine.rows_per_batch(args.new_tokens)
    attempt("c", lambda: row_ours("c", None))
    if device == "cuda":
        attempt("c0", lambda: row_ours("c0", False))
        attempt("c1", lambda: row_ours("c1", None, fused=False, attention="torch"))
        attempt("c2", lambda: row_ours("c2", None, attention="torch"))
        attempt("c3", lambda: row_ours("c3", None, sampling="torch"))
    engine.sampler = sampler_for(device)  # as (c), for the profile
    engine.close()
    attempt("d", row_d)  # last: compiled graphs hold memory that ours would otherwise not get
    if args.profile:
        profile_ours(engine, prompts, args, device)
    results["sampler"] = sampler_bench(device, rows_cap if device == "cuda" else 8)
    print(json.dumps({"sampler": results["sampler"]}))
    report(results, device, shape.total_params)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return results


def report(results: dict, device: str, params: int) -> None:
    """The summary lines: each row, the speedups, the largest-model estimate."""
    from gpu_memory import print_largest_models

    print()
    for key in ROWS:
        if key in results:
            r = results[key]
            print(
                f"({key}) {r['label']}: {r['tokens_per_s']:,.0f} tokens/s, {r['seconds']:.1f} s, "
                f"MFU {r['mfu']:.1%}, "
                f"peak {r['peak_gib']:.1f} GiB"
            )
    ours = "c" if "c" in results else "c0" if "c0" in results else None
    hf = [k for k in HF_ROWS if k in results]
    if ours is None:
        print("no row of ours ran: no speedup lines")
    else:
        speed = results[ours]["tokens_per_s"]
        if "b" in results:
            results["speedup_vs_b"] = speed / results["b"]["tokens_per_s"]
            print(f"sample speedup vs batched HF generate baseline: {results['speedup_vs_b']:.1f}x")
        if "a" in results:
            results["speedup_vs_a"] = speed / results["a"]["tokens_per_s"]
            print(f"sample speedup vs per-scenario HF generate baseline: {results['speedup_vs_a']:.1f}x")
        if hf:
            best = max(hf, key=lambda k: results[k]["tokens_per_s"])
            results["best_hf"], results["speedup_vs_best_hf"] = best, speed / results[best]["tokens_per_s"]
            print(f"sample speedup vs best HF setup: {results['speedup_vs_best_hf']:.1f}x")
            print(f"  (({ours}) over the fastest HF row, ({best}) {results[best]['label']})")
    print_largest_models([(f"({key})", results[key]["peak_gib"], params, "sample") for key in ROWS if key in results],
                         device)  # fmt: skip


if __name__ == "__main__":
    main()
