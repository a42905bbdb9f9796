"""Train-stage throughput: HF Trainer + peft (no packing) vs seccodegen's loop, same model, same data.

Model: a CodeLlama-7B-shaped Llama (hidden 4096, 32 layers, 32 heads, intermediate 11008, vocab
32016) with random bf16 weights built directly on the GPU (speed does not depend on weight
values). ``full`` fine-tuning uses the same shape cut to ``--full-layers`` decoder layers (default
16, about 3.5B parameters) with bf16 weights and bf16 AdamW states in both runs, so that weights,
gradients, optimizer states and activations fit one 80 GB GPU without gradient checkpointing.

Data: sample lengths drawn (seeded) from ``benchmarks/data/block_lengths.json``: the token lengths of
the block-level training set built from shared/data/vulnfix (regenerate with ``--write-lengths``);
token ids are random. Both runs see samples in micro-batches of ``--batch`` rows:

* baseline: ``transformers.Trainer`` on the peft model, one sample per row truncated to
  ``--max-seq-len``, padded to the longest row of the batch (what DataCollatorForLanguageModeling
  does), labels = inputs, bf16 autocast, SDPA attention;
* ours: ``seccodegen.train.loop.fit``: samples split into ``--max-seq-len`` windows and packed into
  rows of ``--max-seq-len`` tokens (no cross-sample attention), chunked cross-entropy, bf16.

Throughput counts real (non-padding) tokens per second over the measured steps (after
``--warmup`` steps). Peak memory is ``torch.cuda.max_memory_allocated`` during the run.

    python benchmarks/train_bench.py                 # GPU: lora, ia3, full
    python benchmarks/train_bench.py --tiny          # CPU smoke run of the same code paths
    python benchmarks/train_bench.py --write-lengths /tmp/ds --tokenizer builtin:smollm2-135m
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shlex
import sys
import tempfile
import time
from pathlib import Path

LENGTHS = Path(__file__).parent / "data" / "block_lengths.json"


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


def train_config(args: argparse.Namespace, method: str):
    from seccodegen.train import TrainConfig
    from seccodegen.train.config import resolve

    return resolve(
        TrainConfig(
            model="benchmark", data="benchmark", method=method, max_seq_len=args.max_seq_len,
            batch_size=args.batch, max_steps=args.warmup + args.steps, epochs=1, log_every=10**9,
            save_every=0, bf16=not args.tiny, full_param_dtype="float32" if args.tiny else "bfloat16",
        )
    )  # fmt: skip


class StepClock:
    """Per-step wall times (after a device sync) and real tokens, for steps after the warmup."""

    def __init__(self, warmup: int, sync) -> None:
        self.warmup, self.sync, self.times, self.tokens = warmup, sync, [], []

    def tick(self, tokens: int) -> None:
        self.sync()
        self.times.append(time.perf_counter())
        self.tokens.append(tokens)

    def tokens_per_s(self) -> float:
        # times[i] is the end of step i+1: the measured steps w+1..n run from times[w-1] to times[-1]
        w = max(self.warmup, 1)
        return sum(self.tokens[w:]) / (self.times[-1] - self.times[w - 1])


def run_baseline(args, method, model, samples, device, sync) -> dict:
    import torch
    from transformers import Trainer, TrainerCallback, TrainingArguments

    from seccodegen.train.methods import METHODS

    cfg = train_config(args, method)
    model = METHODS.get(method).wrap(model, cfg)
    rows = [
        {"input_ids": s[: args.max_seq_len]} for s in samples[: args.batch * (args.warmup + args.steps + 2)]
    ]
    clock, batch_tokens, padded = StepClock(args.warmup, sync), [], []

    def collate(features):  # DataCollatorForLanguageModeling(mlm=False) with padding to the longest
        width = max(len(f["input_ids"]) for f in features)
        ids = torch.zeros((len(features), width), dtype=torch.long)
        mask = torch.zeros_like(ids)
        for i, f in enumerate(features):
            ids[i, : len(f["input_ids"])] = torch.tensor(f["input_ids"])
            mask[i, : len(f["input_ids"])] = 1
        batch_tokens.append(int(mask.sum()))
        padded.append(ids.numel())
        return {"input_ids": ids, "attention_mask": mask, "labels": ids.masked_fill(mask == 0, -100)}

    class Clock(TrainerCallback):
        def on_step_end(self, targs, state, control, **kw):
            clock.tick(batch_tokens[state.global_step - 1])

    with tempfile.TemporaryDirectory() as tmp:
        targs = TrainingArguments(
            output_dir=tmp, per_device_train_batch_size=args.batch, learning_rate=cfg.lr,
            max_steps=args.warmup + args.steps, bf16=not args.tiny, use_cpu=args.tiny, save_strategy="no",
            report_to=[], logging_steps=10**9, disable_tqdm=True, remove_unused_columns=False, seed=args.seed,
        )  # fmt: skip
        trainer = Trainer(
            model=model, args=targs, train_dataset=rows, data_collator=collate, callbacks=[Clock()]
        )
        trainer.train()
    n = args.warmup + args.steps
    return {
        "tokens_per_s": clock.tokens_per_s(),
        "padding_share": 1
        - sum(batch_tokens[max(args.warmup, 1) : n]) / sum(padded[max(args.warmup, 1) : n]),
    }


def run_ours(args, method, model, samples, device, sync, packing: bool = True) -> dict:
    from seccodegen.train.data import Example, build_packed_set
    from seccodegen.train.distributed import init_layout
    from seccodegen.train.loop import fit
    from seccodegen.train.methods import METHODS
    from seccodegen.train.objectives import OBJECTIVES

    cfg = train_config(args, method)
    model = METHODS.get(method).wrap(model, cfg)
    model.train()
    train_set = build_packed_set(
        [Example(s, [True] * len(s)) for s in samples], args.max_seq_len, packing=True
    )
    need = args.batch * (args.warmup + args.steps)
    if len(train_set.rows) < need:
        raise SystemExit(f"only {len(train_set.rows)} packed rows; raise --samples (need {need})")
    clock = StepClock(args.warmup, sync)
    fit(cfg, init_layout(), model, METHODS.get(method), OBJECTIVES.get("lm")(cfg), train_set, None, 0, None,
        on_step=lambda step, tokens: clock.tick(tokens))  # fmt: skip
    return {"tokens_per_s": clock.tokens_per_s(), "padding_share": 0.0 if packing else float("nan")}


def machine() -> str:
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    import peft
    import transformers

    return (
        f"{gpu}; {platform.node()} {os.cpu_count()} CPUs; python {platform.python_version()}, "
        f"torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="lora,ia3,full")
    parser.add_argument("--steps", type=int, default=30, help="measured optimizer steps per run")
    parser.add_argument("--warmup", type=int, default=4, help="unmeasured first steps")
    parser.add_argument("--batch", type=int, default=4, help="rows per micro-batch (both runs)")
    parser.add_argument("--max-seq-len", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=32)
    parser.add_argument("--full-layers", type=int, default=16, help="decoder layers for full fine-tuning")
    parser.add_argument(
        "--samples", type=int, default=2500, help="samples drawn from the length distribution"
    )
    parser.add_argument("--prime-steps", type=int, default=6, help="untimed lora steps of both runs first")
    parser.add_argument("--no-packing-too", default="lora", help="methods also run by ours without packing")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tiny", action="store_true", help="tiny model on CPU (smoke test of the script)")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--write-lengths", metavar="DATASET_DIR", help="write the lengths file and exit")
    parser.add_argument("--tokenizer", default="builtin:smollm2-135m", help="tokenizer for --write-lengths")
    args = parser.parse_args()
    if args.write_lengths:
        write_lengths(args.write_lengths, args.tokenizer)
        return

    import torch

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
    vocab = model_config(args, 1).vocab_size
    samples = random_ids(sample_lengths(args, args.samples), vocab, args.seed)
    if (
        args.prime_steps
    ):  # untimed: CUDA context, cuBLAS heuristics and allocator growth hit the first run only
        prime = argparse.Namespace(**{**vars(args), "warmup": 1, "steps": args.prime_steps})
        for runner in (run_baseline, run_ours):
            model = build_model(args, "lora", device)
            runner(prime, "lora", model, samples, device, sync)
            del model
            gc.collect()
            if device == "cuda":
                torch.cuda.empty_cache()
        print(f"primed both paths with {args.prime_steps} untimed lora steps", flush=True)
    results = []
    for method in args.methods.split(","):
        runs = [("HF Trainer + peft", run_baseline), ("seccodegen", run_ours)]
        if method in args.no_packing_too.split(","):
            runs.append(("seccodegen, packing off", lambda *a: run_ours(*a, packing=False)))
        for name, runner in runs:
            model = build_model(args, method, device)
            if device == "cuda":
                torch.cuda.reset_peak_memory_stats()
            t0 = time.perf_counter()
            res = runner(args, method, model, samples, device, sync)
            res.update(method=method, run=name, seconds=round(time.perf_counter() - t0, 1),
                       peak_gb=torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else 0.0)  # fmt: skip
            results.append(res)
            print(f"  {method:5s} {name:18s} {res['tokens_per_s']:10.0f} tok/s  peak {res['peak_gb']:5.1f} GB  "
                  f"padding {res['padding_share']:.0%}  ({res['seconds']} s)".replace("nan%", "n/a"), flush=True)  # fmt: skip
            del model
            gc.collect()
            if device == "cuda":
                torch.cuda.empty_cache()
    layers = {m: (args.full_layers if m == "full" else args.layers) for m in args.methods.split(",")}
    print(
        "\n| method | layers | run | real tokens/s | tokens/s incl. padding | peak GPU memory (GB) | padding share |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['method']} | {layers[r['method']]} | {r['run']} | {r['tokens_per_s']:.0f} | "
              f"{r['tokens_per_s'] / (1 - r['padding_share']):.0f} | {r['peak_gb']:.1f} | {r['padding_share']:.0%} |".replace("nan%", "n/a").replace("nan", "n/a"))  # fmt: skip
    print()
    for method in args.methods.split(","):
        base, ours = (next(r for r in results if r["method"] == method and r["run"] == n)
                      for n in ("HF Trainer + peft", "seccodegen"))  # fmt: skip
        print(
            f"train speedup vs HF+PEFT baseline ({method}): {ours['tokens_per_s'] / base['tokens_per_s']:.2f}x"
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"machine": machine(), "argv": sys.argv, "results": results}, indent=2)
        )


if __name__ == "__main__":
    main()
