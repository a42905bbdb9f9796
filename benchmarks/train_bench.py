"""Train-stage throughput: HF Trainer setups (padded, padding-free, padding-free + Liger) vs
seccodegen's loop, same model, same data, one process.

Model: a CodeLlama-7B-shaped Llama (hidden 4096, 32 layers, 32 heads, intermediate 11008, vocab
32016) with random bf16 weights built directly on the GPU (speed does not depend on weight
values). ``full`` fine-tuning uses the same shape cut to ``--full-layers`` decoder layers (default
16, about 3.5B parameters) with bf16 weights and bf16 AdamW states in every run, so that weights,
gradients, optimizer states and activations fit one 80 GB GPU without gradient checkpointing.

Data: sample lengths drawn (seeded) from ``benchmarks/data/block_lengths.json``: the token lengths of
the block-level training set built from shared/data/vulnfix (regenerate with ``--write-lengths``);
token ids are random. Every run sees samples in micro-batches of ``--batch`` rows. The runs
(``--runs``; what each does exactly: benchmarks/train_rows.py):

* ``hf``: ``transformers.Trainer`` on the peft model, rows padded to the longest of the batch;
* ``hf-pf``: the same, padding-free (``DataCollatorWithFlattening``, position ids restart per sample);
* ``hf-pf-liger``: ``hf-pf`` + Liger kernels (``use_liger_kernel=True``; needs liger-kernel and a GPU);
* ``hf-pf-compile``: ``hf-pf`` + ``torch_compile=True`` (the Trainer compiles the whole model);
* ``ours``: ``seccodegen.train.loop.fit``: samples split into ``--max-seq-len`` windows and packed
  into rows of ``--max-seq-len`` tokens (no cross-sample attention), chunked cross-entropy, bf16;
* ``ours-compile``: ``ours`` with ``compile_layers`` (each decoder layer compiled in place);
* ``ours-nopack``: the same with packing off (methods in ``--no-packing-too`` only).

The compiled rows compile during their ``--warmup`` steps (the second batch width seen makes the
graphs dynamic), so give them a few: ``--warmup 5``.

Throughput counts real (non-padding) tokens per second over the measured steps (after
``--warmup`` steps). Each row also prints MFU against the measured matmul peak (benchmarks/mfu.py
says what is counted) and peak GPU memory (``torch.cuda.max_memory_allocated``, reset per row);
a row that fails prints ``row METHOD/RUN failed: ...`` and the others go on.

    python benchmarks/train_bench.py                 # GPU: lora, ia3, full; every run
    python benchmarks/train_bench.py --methods lora --runs hf,hf-pf-liger,ours --steps 15
    python benchmarks/train_bench.py --tiny          # CPU smoke run of the same code paths
    python benchmarks/train_bench.py --write-lengths /tmp/ds --tokenizer builtin:smollm2-135m
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import sys
import time
import traceback
from pathlib import Path

from train_rows import LIGER_KERNELS, liger_unavailable, run_hf_trainer, run_ours  # benchmarks/

LENGTHS = Path(__file__).parent / "data" / "block_lengths.json"
RUNS = {  # --runs name: row label (the labels of the first and fourth are those of earlier reports)
    "hf": "HF Trainer + peft",
    "hf-pf": "HF Trainer + peft, padding-free",
    "hf-pf-liger": "HF Trainer + peft, padding-free + Liger",
    "hf-pf-compile": "HF Trainer + peft, padding-free + torch.compile",
    "ours": "seccodegen",
    "ours-compile": "seccodegen, compiled layers",
    "ours-nopack": "seccodegen, packing off",
}
HF_RUNS = ("hf", "hf-pf", "hf-pf-liger", "hf-pf-compile")
OURS_RUNS = ("ours", "ours-compile")  # the speedup lines use the faster of these


def write_lengths(dataset_dir: str, tokenizer_spec: str) -> None:
    from seccodegen.models.loader import load_tokenizer
    from seccodegen.records import iter_jsonl

    tok = load_tokenizer(tokenizer_spec)
    path = Path(dataset_dir) / "block" / "train.jsonl"
    lengths = [len(tok(r["text"])["input_ids"]) + 1 for r in iter_jsonl(path)]  # +1: EOS
    LENGTHS.parent.mkdir(parents=True, exist_ok=True)
    LENGTHS.write_text(
        json.dumps(
            {
                "source": str(path),
                "tokenizer": tokenizer_spec,
                "count": len(lengths),
                "lengths": sorted(lengths),
            }
        )
        + "\n"
    )
    print(f"wrote {LENGTHS}: {len(lengths)} lengths")


def model_config(args: argparse.Namespace, layers: int):
    from transformers import LlamaConfig

    if args.tiny:
        return LlamaConfig(
            vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=layers,
            num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=4096,
            attn_implementation="sdpa", use_cache=False,
        )  # fmt: skip
    return LlamaConfig(
        vocab_size=32016, hidden_size=4096, intermediate_size=11008, num_hidden_layers=layers,
        num_attention_heads=32, num_key_value_heads=32, max_position_embeddings=16384, rope_theta=1e6,
        attn_implementation="sdpa", use_cache=False,
    )  # fmt: skip


def build_model(args: argparse.Namespace, method: str, device):
    """Random-weight model built on ``device`` (GPU: bf16, never materialised on the CPU)."""
    import torch
    from transformers import LlamaForCausalLM

    layers = args.full_layers if method == "full" else args.layers
    dtype = torch.float32 if args.tiny else torch.bfloat16
    torch.manual_seed(0)
    with torch.device(device):
        model = LlamaForCausalLM._from_config(model_config(args, layers), dtype=dtype)
    model.requires_grad_(False)
    return model


def sample_lengths(args: argparse.Namespace, n: int) -> list[int]:
    lengths = json.loads(LENGTHS.read_text())["lengths"]
    rng = random.Random(args.seed)
    return [rng.choice(lengths) for _ in range(n)]


def random_ids(lengths: list[int], vocab: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    return [[rng.randrange(10, vocab) for _ in range(n)] for n in lengths]  # ids >= 10: never the pad id 0


def machine() -> str:
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    import peft
    import transformers

    return (
        f"{gpu}; {platform.node()} {os.cpu_count()} CPUs; python {platform.python_version()}, "
        f"torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="lora,ia3,full")
    parser.add_argument("--runs", default=",".join(RUNS), help=f"comma-separated, of {','.join(RUNS)}")
    parser.add_argument("--steps", type=int, default=30, help="measured optimizer steps per run")
    parser.add_argument("--warmup", type=int, default=4, help="unmeasured first steps")
    parser.add_argument("--batch", type=int, default=4, help="rows per micro-batch (every run)")
    parser.add_argument("--max-seq-len", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=32)
    parser.add_argument("--full-layers", type=int, default=16, help="decoder layers for full fine-tuning")
    parser.add_argument(
        "--samples", type=int, default=2500, help="samples drawn from the length distribution"
    )
    parser.add_argument(
        "--prime-steps", type=int, default=6, help="untimed steps of hf, hf-pf-liger and ours per method first"
    )
    parser.add_argument("--no-packing-too", default="lora", help="methods also run by ours without packing")
    parser.add_argument("--pf-attn", default="sdpa", help="attention implementation of the padding-free runs")
    parser.add_argument(
        "--liger-kernels", default=",".join(LIGER_KERNELS), help="Liger kernels to apply (hf-pf-liger)"
    )
    parser.add_argument("--peak-tflops", type=float, default=0.0, help="matmul peak for MFU (0 = measure it)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tiny", action="store_true", help="tiny model on CPU (smoke test of the script)")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--write-lengths", metavar="DATASET_DIR", help="write the lengths file and exit")
    parser.add_argument("--tokenizer", default="builtin:smollm2-135m", help="tokenizer for --write-lengths")
    args = parser.parse_args(argv)
    unknown = [r for r in args.runs.split(",") if r not in RUNS]
    if unknown:
        parser.error(f"--runs: unknown {', '.join(unknown)}; choose from {','.join(RUNS)}")
    bad_kernels = [k for k in args.liger_kernels.split(",") if k and k not in LIGER_KERNELS]
    if bad_kernels:
        parser.error(
            f"--liger-kernels: unknown {', '.join(bad_kernels)}; choose from {','.join(LIGER_KERNELS)}"
        )
    if args.tiny:  # small enough for a 2-core CPU in about a minute
        args.layers, args.full_layers, args.max_seq_len = 2, 2, min(args.max_seq_len, 128)
        args.samples, args.batch = min(args.samples, 120), min(args.batch, 2)
        args.steps, args.warmup, args.prime_steps = min(args.steps, 3), 1, min(args.prime_steps, 1)
    return args


def trained_lengths(args: argparse.Namespace, samples: list[list[int]], run: str) -> list[int]:
    """Lengths of the causal sequences a run trains on (for the attention term of the FLOP count)."""
    if run.startswith("hf"):  # one sample per sequence, truncated
        used = samples[: args.batch * (args.warmup + args.steps + 2)]
        return [min(len(s), args.max_seq_len) for s in used]
    size = args.max_seq_len  # ours: windows of every sample
    return [min(size, len(s) - i) for s in samples for i in range(0, len(s), size)]


def runner_for(run: str):
    if run in HF_RUNS:
        return lambda *a: run_hf_trainer(
            *a, padding_free=run != "hf", liger=run == "hf-pf-liger", compile_model=run == "hf-pf-compile"
        )
    return lambda *a: run_ours(*a, packing=run != "ours-nopack", compile_layers=run == "ours-compile")


def prime_runs(args: argparse.Namespace, runs: list[str], samples, device: str, sync) -> None:
    """Untimed steps of every method first: CUDA context, cuBLAS heuristics and allocator growth
    would otherwise hit the first timed run only, and Triton's compilation of the Liger kernels its
    first steps (per method: full fine-tuning's weight gradients compile kernels lora never runs; a
    first full Liger row measured 9.6k tok/s where the same row after it measured 16.4k)."""
    from gpu_memory import reset_peak

    prime = argparse.Namespace(**{**vars(args), "warmup": 1, "steps": args.prime_steps})
    primed = []
    for method in args.methods.split(","):
        for run in [r for r in ("hf", "hf-pf-liger", "ours") if r in runs]:
            if run == "hf-pf-liger" and liger_unavailable(device):
                continue
            try:
                runner_for(run)(prime, method, build_model(args, method, device), samples, device, sync)
                primed.append(f"{method}/{run}")
            except Exception as exc:  # noqa: BLE001  (its timed rows will say what fails)
                print(f"priming {method}/{run} failed: {exc!r}", flush=True)
            reset_peak(device)
    print(f"primed {', '.join(primed) or 'nothing'} with {args.prime_steps} untimed steps each", flush=True)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.write_lengths:
        write_lengths(args.write_lengths, args.tokenizer)
        return

    import torch
    from gpu_memory import peak_gib, reset_peak  # benchmarks/
    from mfu import ModelShape, matmul_peak, mean_causal_context, peak_line, train_token_flops

    os.environ.setdefault("SECCODEGEN_PROGRESS", "0")
    device = "cpu" if args.tiny or not torch.cuda.is_available() else "cuda"
    if device == "cpu" and not args.tiny:
        raise SystemExit("no CUDA GPU here; pass --tiny for a CPU smoke run")
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    print("command: python " + " ".join(shlex.quote(a) for a in sys.argv), flush=True)
    print("machine: " + machine(), flush=True)
    meta = json.loads(LENGTHS.read_text())
    print(
        f"lengths: {meta['count']} block samples from {meta['source']} ({meta['tokenizer']} tokens)",
        flush=True,
    )
    peak = matmul_peak(device, args.peak_tflops)
    print(peak_line(peak), flush=True)
    vocab = model_config(args, 1).vocab_size
    samples = random_ids(sample_lengths(args, args.samples), vocab, args.seed)
    runs = args.runs.split(",")
    if args.prime_steps:
        prime_runs(args, runs, samples, device, sync)
    results = []
    for method in args.methods.split(","):
        for run in runs:
            row = f"{method}/{run}"
            if run == "ours-nopack" and method not in args.no_packing_too.split(","):
                continue
            skip = liger_unavailable(device) if run == "hf-pf-liger" else None
            if skip:
                print(f"row {row} skipped: {skip}", flush=True)
                continue
            reset_peak(device)
            torch._dynamo.reset()  # compiled rows start from empty caches, as in a process of their own
            t0 = time.perf_counter()
            try:
                model = build_model(args, method, device)
                shape = ModelShape.of(model)
                res = runner_for(run)(args, method, model, samples, device, sync)
            except Exception as exc:  # noqa: BLE001  (one row failing must not lose the others)
                traceback.print_exc()
                print(f"row {row} failed: {exc!r}", flush=True)
                continue
            finally:
                model = None
            flops = train_token_flops(
                shape,
                method,
                res["trainable_params"],
                mean_causal_context(trained_lengths(args, samples, run)),
            )
            res.update(method=method, run=RUNS[run], key=run, seconds=round(time.perf_counter() - t0, 1),
                       peak_gib=peak_gib(device), params=shape.total_params,
                       mfu=res["tokens_per_s"] * flops["mfu"] / peak["flops_per_s"],
                       mfu_6n=res["tokens_per_s"] * flops["6N"] / peak["flops_per_s"])  # fmt: skip
            results.append(res)
            print(f"  {method:5s} {res['run']:40s} {res['tokens_per_s']:10.0f} tok/s  MFU {res['mfu']:6.1%}  "
                  f"peak {res['peak_gib']:5.1f} GiB  padding {res['padding_share']:.0%}  ({res['seconds']} s)"
                  .replace("nan%", "n/a"), flush=True)  # fmt: skip
    report(args, device, results)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"machine": machine(), "argv": sys.argv, "peak": peak, "results": results}, indent=2)
        )


def report(args: argparse.Namespace, device: str, results: list[dict]) -> None:
    from gpu_memory import print_largest_models

    layers = {m: (args.full_layers if m == "full" else args.layers) for m in args.methods.split(",")}
    print(
        "\n| method | layers | run | real tokens/s | tokens/s incl. padding | MFU | MFU (6N) | "
        "peak GPU memory (GiB) | padding share |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['method']} | {layers[r['method']]} | {r['run']} | {r['tokens_per_s']:.0f} | "
              f"{r['tokens_per_s'] / (1 - r['padding_share']):.0f} | {r['mfu']:.1%} | {r['mfu_6n']:.1%} | "
              f"{r['peak_gib']:.1f} | {r['padding_share']:.0%} |".replace("nan%", "n/a").replace("nan", "n/a"))  # fmt: skip
    print()
    for method in args.methods.split(","):
        rows = {r["key"]: r for r in results if r["method"] == method}
        mine = [rows[k] for k in OURS_RUNS if k in rows]
        if not mine:
            print(f"({method}: no 'ours' row, no speedup lines)")
            continue
        fastest = max(mine, key=lambda r: r["tokens_per_s"])
        ours = fastest["tokens_per_s"]
        print(f"({method}: ours = {fastest['run']})")
        if "hf" in rows:
            print(f"train speedup vs HF+PEFT baseline ({method}): {ours / rows['hf']['tokens_per_s']:.2f}x")
        hf = [rows[k] for k in HF_RUNS if k in rows]
        if hf:
            best = max(hf, key=lambda r: r["tokens_per_s"])
            print(f"train speedup vs best HF setup ({method}): {ours / best['tokens_per_s']:.2f}x")
            print(f"  (over {best['run']})")
    print_largest_models([(f"{r['method']}, {r['run']}", r["peak_gib"], r["params"], r["method"]) for r in results],
                         device)  # fmt: skip


if __name__ == "__main__":
    main()
