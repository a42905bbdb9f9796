"""The timed training runs of benchmarks/train_bench.py: three HF Trainer setups and ours.

HF Trainer runs (``run_hf_trainer``), all on the peft model (``full``: the bare model), one
sample per sequence truncated to ``--max-seq-len``, ``--batch`` samples per step, bf16:

* ``hf``: each row padded to the longest of its batch, labels = inputs (what
  ``DataCollatorForLanguageModeling(mlm=False)`` does), SDPA attention;
* ``hf-pf``: padding-free: ``transformers.DataCollatorWithFlattening`` concatenates the batch's
  samples into one ``[1, tokens]`` row with ``position_ids`` restarting at 0 per sample and label
  -100 at each sample's first token (no loss across samples). No ``attention_mask`` is passed: in
  transformers 5.x ``masking_utils`` then finds the sample boundaries from the position ids
  (``find_packed_sequence_indices``) and, with SDPA, builds a block-diagonal causal 4-D mask
  (``flash_attention_2`` would use varlen kernels instead; flash-attn is not installed on the GPU
  machine; ``--pf-attn`` picks another attention implementation);
* ``hf-pf-liger``: ``hf-pf`` plus ``TrainingArguments(use_liger_kernel=True)``: the Trainer calls
  liger-kernel's ``_apply_liger_kernel_to_instance`` on the unwrapped model, i.e.
  ``apply_liger_kernel_to_llama(model=..., rope, rms_norm, swiglu, fused_linear_cross_entropy)``:
  Triton kernels for RoPE, RMSNorm, SwiGLU, and a fused LM-head + cross-entropy that never
  materialises the logits. Liger also replaces names in ``transformers.models.llama.modeling_llama``
  for the whole process; :func:`restored_llama_module` puts them back after the run.

Ours (``run_ours``): ``seccodegen.train.loop.fit``, samples split into ``--max-seq-len`` windows,
packed into rows (or one window per row with packing off).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import time
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from typing import Any

LIGER_KERNELS = ("rope", "rms_norm", "swiglu", "fused_linear_cross_entropy")
LIGER_WHEEL_HINT = (
    "carry the wheel: pip download liger-kernel==0.8.5 --no-deps, then on the GPU machine "
    "pip install --no-deps --no-index liger_kernel-0.8.5-py3-none-any.whl (docs/performance.md)"
)


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


def trainable_params(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def liger_unavailable(device: str) -> str | None:
    """Why the Liger row cannot run here, or None."""
    if importlib.util.find_spec("liger_kernel") is None:
        return f"liger-kernel is not installed; {LIGER_WHEEL_HINT}"
    try:
        import triton  # noqa: F401
    except ImportError as exc:
        return f"Triton is not importable ({exc}); Liger's kernels are Triton kernels"
    if not device.startswith("cuda") and os.environ.get("TRITON_INTERPRET") != "1":
        return (
            "Liger's Triton kernels need a GPU (on CPU only under TRITON_INTERPRET=1, Triton's interpreter)"
        )
    return None


@contextmanager
def restored_llama_module():
    """Undo process-wide patches to transformers' Llama code made inside the block.

    ``apply_liger_kernel_to_llama`` rebinds ``modeling_llama.apply_rotary_pos_emb``,
    ``LlamaRMSNorm`` and ``LlamaMLP`` even when given a model instance, so every Llama built or run
    later in the process would use Liger's code; this puts back the module's names, its classes'
    attributes and ``torch.nn.functional.cross_entropy``."""
    import torch.nn.functional as F
    from transformers.models.llama import modeling_llama as module

    names = dict(vars(module))
    classes = {
        value: dict(vars(value))
        for value in names.values()
        if isinstance(value, type) and value.__module__ == module.__name__
    }
    cross_entropy = F.cross_entropy
    try:
        yield
    finally:
        F.cross_entropy = cross_entropy
        _restore_attributes(module, names)
        for cls, attrs in classes.items():
            _restore_attributes(cls, attrs)


def _restore_attributes(obj: Any, saved: dict[str, Any]) -> None:
    """Make ``vars(obj)`` what ``saved`` recorded: drop names added since, rebind changed ones."""
    for name in set(vars(obj)) - set(saved):
        delattr(obj, name)
    for name, value in saved.items():
        if vars(obj).get(name) is not value:
            setattr(obj, name, value)


def padded_collator(batch_tokens: list, positions: list):
    """DataCollatorForLanguageModeling(mlm=False) with padding to the longest row of the batch."""
    import torch

    def collate(features):
        width = max(len(f["input_ids"]) for f in features)
        ids = torch.zeros((len(features), width), dtype=torch.long)
        mask = torch.zeros_like(ids)
        for i, f in enumerate(features):
            ids[i, : len(f["input_ids"])] = torch.tensor(f["input_ids"])
            mask[i, : len(f["input_ids"])] = 1
        batch_tokens.append(int(mask.sum()))
        positions.append(ids.numel())
        return {"input_ids": ids, "attention_mask": mask, "labels": ids.masked_fill(mask == 0, -100)}

    return collate


def flattening_collator(batch_tokens: list, positions: list):
    from transformers import DataCollatorWithFlattening

    flatten = DataCollatorWithFlattening(return_position_ids=True)

    def collate(features):
        batch = flatten(features)  # input_ids, labels, position_ids, each [1, tokens]; no attention_mask
        batch_tokens.append(batch["input_ids"].numel())
        positions.append(batch["input_ids"].numel())
        return batch

    return collate


def run_hf_trainer(
    args, method, model, samples, device, sync, padding_free=False, liger=False, compile_model=False
) -> dict:
    from transformers import Trainer, TrainerCallback, TrainingArguments

    from seccodegen.train.methods import METHODS

    cfg = train_config(args, method)
    if padding_free and args.pf_attn != "sdpa":
        model.set_attn_implementation(args.pf_attn)
    model = METHODS.get(method).wrap(model, cfg)
    trainable = trainable_params(model)
    rows = [
        {"input_ids": s[: args.max_seq_len]} for s in samples[: args.batch * (args.warmup + args.steps + 2)]
    ]
    clock, batch_tokens, positions = StepClock(args.warmup, sync), [], []
    collate = (flattening_collator if padding_free else padded_collator)(batch_tokens, positions)

    class Clock(TrainerCallback):
        def on_step_end(self, targs, state, control, **kw):
            clock.tick(batch_tokens[state.global_step - 1])

    liger_config = {k: k in args.liger_kernels.split(",") for k in LIGER_KERNELS} if liger else None
    with tempfile.TemporaryDirectory() as tmp, restored_llama_module() if liger else nullcontext():
        targs = TrainingArguments(
            output_dir=tmp, per_device_train_batch_size=args.batch, learning_rate=cfg.lr,
            max_steps=args.warmup + args.steps, bf16=not args.tiny, use_cpu=args.tiny, save_strategy="no",
            report_to=[], logging_steps=10**9, disable_tqdm=True, remove_unused_columns=False, seed=args.seed,
            use_liger_kernel=liger, liger_kernel_config=liger_config, torch_compile=compile_model,
        )  # fmt: skip
        trainer = Trainer(
            model=model, args=targs, train_dataset=rows, data_collator=collate, callbacks=[Clock()]
        )
        trainer.train()
    n, w = args.warmup + args.steps, max(args.warmup, 1)
    return {
        "tokens_per_s": clock.tokens_per_s(),
        "padding_share": 1 - sum(batch_tokens[w:n]) / sum(positions[w:n]),
        "trainable_params": trainable,
    }


def run_ours(
    args, method, model, samples, device, sync, packing: bool = True, compile_layers: bool = False
) -> dict:
    from seccodegen.train.data import Example, build_packed_set
    from seccodegen.train.distributed import init_layout
    from seccodegen.train.loop import fit
    from seccodegen.train.methods import METHODS
    from seccodegen.train.objectives import OBJECTIVES

    cfg = replace(train_config(args, method), compile_layers=compile_layers)
    model = METHODS.get(method).wrap(model, cfg)
    model.train()
    train_set = build_packed_set(
        [Example(s, [True] * len(s)) for s in samples], args.max_seq_len, packing=packing
    )
    need = args.batch * (args.warmup + args.steps)
    if len(train_set.rows) < need:
        raise SystemExit(f"only {len(train_set.rows)} packed rows; raise --samples (need {need})")
    clock = StepClock(args.warmup, sync)
    fit(cfg, init_layout(), model, METHODS.get(method), OBJECTIVES.get("lm")(cfg), train_set, None, 0, None,
        on_step=lambda step, tokens: clock.tick(tokens))  # fmt: skip
    return {
        "tokens_per_s": clock.tokens_per_s(),
        "padding_share": 0.0 if packing else float("nan"),
        "trainable_params": trainable_params(model),
    }
