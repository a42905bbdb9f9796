"""The training loop: plain PyTorch, one process or many (DDP / FSDP2), resumable.

One optimizer step = ``grad_accum`` micro-batches of ``batch_size`` rows on each of ``world``
processes. Rows are shuffled per epoch with a generator seeded by (seed, epoch), and dropout is
re-seeded from (seed, step, rank) before every step, so a run resumed from a checkpoint follows
exactly the path of an uninterrupted one. Loss = objective loss summed over the step's targets
divided by the step's total normaliser (target tokens for lm), the same with any accumulation.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from seccodegen.artifacts import open_artifact
from seccodegen.errors import InputError, SeccodegenError
from seccodegen.models.loader import load_tokenizer
from seccodegen.progress import progress_bar, resume_message
from seccodegen.records import JsonlAppender, iter_jsonl, write_jsonl
from seccodegen.train.checkpoint import CHECKPOINTS, load_latest_checkpoint, save_checkpoint
from seccodegen.train.config import TrainConfig, resolve
from seccodegen.train.data import (
    Batch,
    Example,
    PackedSet,
    build_packed_set,
    collate,
    load_records,
    resolve_data_files,
)
from seccodegen.train.distributed import (
    ProcessLayout,
    init_layout,
    no_grad_sync,
    shutdown,
    unwrap,
    wrap_for_processes,
)
from seccodegen.train.methods import METHODS, Method
from seccodegen.train.mixing import mix_examples
from seccodegen.train.model_setup import (
    compile_decoder_layers,
    count_parameters,
    export_trained,
    load_trainable_model,
)
from seccodegen.train.objectives import OBJECTIVES, Objective, Scores
from seccodegen.train.scoring import TargetLogprobs

LOG = "train_log.jsonl"


def _examples(
    path: Path, cfg: TrainConfig, objective: Objective, tokenizer: Any, mix: bool = False
) -> PackedSet:
    """Packed examples of a data file; ``mix``: plus cfg.mix_ratio of general instruction records."""
    records = load_records(path, cfg.granularity)
    examples = [ex for i, rec in enumerate(records) for ex in objective.examples(rec, i, tokenizer)]
    if mix and cfg.mix_data and cfg.mix_ratio > 0 and examples:
        examples += mix_examples(cfg.mix_data, cfg.mix_ratio, cfg.seed, examples, tokenizer, cfg.chat_template)
    return build_packed_set(
        examples, cfg.max_seq_len, cfg.packing, keep_groups=objective.keeps_groups_together
    )


class StepPlan:
    """Which rows each process trains on at each step (a pure function of seed, epoch, step)."""

    def __init__(self, n_rows: int, cfg: TrainConfig, layout: ProcessLayout) -> None:
        self.n_rows, self.seed, self.layout = n_rows, cfg.seed, layout
        self.batch, self.accum = cfg.batch_size, cfg.grad_accum
        self.rows_per_step = self.batch * self.accum * layout.world
        self.steps_per_epoch = math.ceil(n_rows / self.rows_per_step)
        total = self.steps_per_epoch * cfg.epochs
        self.total_steps = min(total, cfg.max_steps) if cfg.max_steps else total
        self._perm: tuple[int, list[int]] | None = None

    def micro_batches(self, step: int) -> list[list[int]]:
        """Row ids of this process's micro-batches at 1-based ``step`` (may be empty lists)."""
        epoch, index = divmod(step - 1, self.steps_per_epoch)
        if self._perm is None or self._perm[0] != epoch:
            gen = torch.Generator().manual_seed(self.seed * 1000 + epoch)
            self._perm = (epoch, torch.randperm(self.n_rows, generator=gen).tolist())
        rows = self._perm[1][index * self.rows_per_step : (index + 1) * self.rows_per_step]
        w, r, b = self.layout.world, self.layout.rank, self.batch
        return [rows[(m * w + r) * b : (m * w + r + 1) * b] for m in range(self.accum)]


def _dummy_batch(pad_id: int) -> Batch:
    """A one-token batch without targets: keeps every process in step for the collectives."""
    return collate([[Example([pad_id], [False])]], pad_id)


def _lr_lambda(total: int, warmup: int, schedule: str) -> Callable[[int], float]:
    def factor(done: int) -> float:
        if done < warmup:
            return (done + 1) / (warmup + 1)
        if schedule == "constant":
            return 1.0
        progress = (done - warmup) / max(1, total - warmup)
        return max(0.0, 1.0 - progress) if schedule == "linear" else 0.5 * (1 + math.cos(math.pi * progress))

    return factor


class Trainer:
    def __init__(
        self,
        cfg: TrainConfig,
        layout: ProcessLayout,
        module: torch.nn.Module,
        objective: Objective,
        pad_id: int,
    ) -> None:
        self.cfg, self.layout, self.module, self.objective, self.pad_id = (
            cfg,
            layout,
            module,
            objective,
            pad_id,
        )
        self.autocast = (
            torch.autocast("cuda", dtype=torch.bfloat16)
            if layout.device.type == "cuda" and cfg.bf16
            else nullcontext()
        )

    def _to_device(self, batch: Batch) -> tuple[torch.Tensor, ...]:
        dev = self.layout.device
        return tuple(
            t.to(dev, non_blocking=True) for t in (batch.input_ids, batch.position_ids, batch.targets)
        )

    def loss_sum(self, batch: Batch) -> torch.Tensor:
        ids, pos, tgt = self._to_device(batch)
        selected = batch.targets != -100
        dev = self.layout.device
        scores = Scores(
            torch.empty(0), batch.example_index[selected].to(dev), batch.changed[selected].to(dev)
        )
        ref_dist = None
        if self.objective.needs_reference:
            with self.autocast:
                scores.ref_logprobs, ref_dist = unwrap(self.module).reference(
                    ids, pos, tgt, self.objective.needs_kl
                )
        with self.autocast:
            out = self.module(ids, pos, tgt, ref_dist) if ref_dist is not None else self.module(ids, pos, tgt)
        if ref_dist is not None:
            scores.logprobs, scores.kl = out
        else:
            scores.logprobs = out
        return self.objective.loss_sum(scores, batch)

    def train_step(self, step: int, plan: StepPlan, data: PackedSet) -> tuple[torch.Tensor, float, int]:
        """One optimizer step's forward/backward; returns (loss sum, normaliser, real tokens) of this process."""
        batches = [
            data.batch(rows, self.pad_id) if rows else _dummy_batch(self.pad_id)
            for rows in plan.micro_batches(step)
        ]
        local_norm = sum(self.objective.normaliser(b) for b in batches)
        total_norm = self.layout.sum([local_norm])[0]
        scale = self.layout.world / max(total_norm, 1.0)  # DDP/FSDP average gradients over processes
        torch.manual_seed(self.cfg.seed * 1_000_003 + step * self.layout.world + self.layout.rank)
        loss_acc = torch.zeros((), device=self.layout.device)
        for m, batch in enumerate(batches):
            with no_grad_sync(self.module, skip=m < len(batches) - 1):
                loss = self.loss_sum(batch)
                (loss * scale).backward()
            loss_acc += loss.detach().float()
        return loss_acc, local_norm, sum(b.real_tokens for b in batches)

    @torch.no_grad()
    def evaluate(self, data: PackedSet) -> float:
        self.module.eval()
        per_round = self.cfg.batch_size * self.layout.world
        total, norm = 0.0, 0.0
        for k in range(math.ceil(len(data.rows) / per_round)):
            start = (k * self.layout.world + self.layout.rank) * self.cfg.batch_size
            rows = list(range(start, min(start + self.cfg.batch_size, len(data.rows))))
            batch = data.batch(rows, self.pad_id) if rows else _dummy_batch(self.pad_id)
            total += float(self.loss_sum(batch))
            norm += self.objective.normaliser(batch)
        self.module.train()
        total, norm = self.layout.sum([total, norm])
        return total / max(norm, 1.0)


def _rewind_log(path: Path, step: int) -> None:
    """Drop log lines written after the checkpoint a resumed run restarts from."""
    if path.is_file():
        write_jsonl(path, [r for r in iter_jsonl(path) if r.get("step", 0) <= step])


def _open_output(cfg: TrainConfig, inputs: dict[str, Path], layout: ProcessLayout, force: bool) -> Any:
    """Rank 0 opens the artifact; the others learn whether that worked (no hang on a refusal)."""
    artifact, failure = None, None
    if layout.is_main:
        try:
            artifact = open_artifact(cfg.out, "train", cfg, inputs=inputs, force=force)
        except SeccodegenError as exc:
            failure = exc
    if layout.sum([1.0 if failure else 0.0])[0] > 0:
        raise failure or SeccodegenError(f"rank 0 could not open {cfg.out}; see its error")
    return artifact


@dataclass
class FitResult:
    start_step: int
    steps: int
    last: dict[str, Any]
    tokens: int
    seconds: float


def fit(
    cfg: TrainConfig,
    layout: ProcessLayout,
    model: torch.nn.Module,
    method: Method,
    objective: Objective,
    train_set: PackedSet,
    val_set: PackedSet | None,
    pad_id: int,
    out: Path | None,
    on_step: Callable[[int, int], None] | None = None,
) -> tuple[torch.nn.Module, FitResult]:
    """Train ``model`` (already wrapped by its method) on ``train_set``; ``cfg`` must be resolved.

    ``out``: folder for train_log.jsonl and checkpoints (None: neither, as in the benchmark).
    ``on_step(step, tokens)`` runs after each optimizer step with this process's real tokens.
    Returns the process-wrapped scorer (for export) and a summary.
    """
    if cfg.compile_layers:
        compile_decoder_layers(model)
    module = wrap_for_processes(
        TargetLogprobs(model, cfg.chunked_ce, cfg.ce_chunk_tokens), layout, full=not method.is_adapter
    )
    params = [p for p in module.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": cfg.weight_decay},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]
    fused = layout.device.type == "cuda" and not (layout.distributed and not method.is_adapter)
    optimizer = torch.optim.AdamW([g for g in groups if g["params"]], lr=cfg.lr, fused=fused or None)
    plan = StepPlan(len(train_set.rows), cfg, layout)
    warmup = int(cfg.warmup * plan.total_steps) if cfg.warmup < 1 else int(cfg.warmup)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, _lr_lambda(plan.total_steps, warmup, cfg.schedule)
    )

    start = 0
    if out is not None and out.joinpath(CHECKPOINTS).is_dir():
        start = load_latest_checkpoint(out, module, optimizer, scheduler)
    if out is not None and layout.is_main:
        _rewind_log(out / LOG, start)
        resume_message("train", start, plan.total_steps, "steps")
    layout.barrier()
    trainer = Trainer(cfg, layout, module, objective, pad_id)
    log = JsonlAppender(out / LOG) if out is not None and layout.is_main else None
    window_loss: Any = 0.0
    window_norm, window_tokens, t_window = 0.0, 0, time.perf_counter()
    all_tokens, t_start, last = 0, time.perf_counter(), {}
    with progress_bar("train", plan.total_steps, "steps", done=start) as advance:
        for step in range(start + 1, plan.total_steps + 1):
            loss_acc, norm, tokens = trainer.train_step(step, plan, train_set)
            if cfg.max_grad_norm > 0:
                torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
            lr = scheduler.get_last_lr()[0]
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            window_loss = window_loss + loss_acc  # stays on the device: no sync until a log step
            window_norm += norm
            window_tokens += tokens
            row: dict[str, Any] = {}
            if step % cfg.log_every == 0 or step == plan.total_steps:
                loss_sum, norm_sum, tok_sum = layout.sum([float(window_loss), window_norm, window_tokens])
                elapsed = time.perf_counter() - t_window
                row = {
                    "step": step,
                    "loss": loss_sum / max(norm_sum, 1.0),
                    "lr": lr,
                    "tokens_per_s": tok_sum / max(elapsed, 1e-9),
                    "epoch": (step - 1) // plan.steps_per_epoch + 1,
                }
                all_tokens += int(tok_sum)
                window_loss, window_norm, window_tokens, t_window = 0.0, 0.0, 0, time.perf_counter()
            if val_set is not None and (
                (cfg.eval_every and step % cfg.eval_every == 0) or step == plan.total_steps
            ):
                row = {"step": step, **row, "val_loss": trainer.evaluate(val_set)}
            if row:
                last.update(row)
                if log is not None:
                    log.write(row)
                advance(
                    0, info=f"loss {row.get('loss', float('nan')):.3f} {row.get('tokens_per_s', 0):.0f} tok/s"
                )
            if out is not None and cfg.save_every and step % cfg.save_every == 0 and step < plan.total_steps:
                if log is not None:
                    log.sync()
                save_checkpoint(out, step, module, optimizer, scheduler, layout, cfg.keep_checkpoints)
            advance(1)
            if on_step is not None:
                on_step(step, tokens)
    if log is not None:
        log.close()
    return module, FitResult(start, plan.total_steps, last, all_tokens, time.perf_counter() - t_start)


def run(cfg: TrainConfig, force: bool = False, on_step: Callable[[int, int], None] | None = None) -> Path:
    """Train as configured; returns the artifact directory. ``on_step(step, tokens)`` runs after each step."""
    if not cfg.model or not cfg.data or not cfg.out:
        raise SeccodegenError("train needs model, data and out (--model, --data, --out)")
    cfg = resolve(cfg)
    method, objective = METHODS.get(cfg.method), OBJECTIVES.get(cfg.objective)(cfg)
    method.check(cfg)
    layout = init_layout()
    out = Path(cfg.out)
    train_file, val_file = resolve_data_files(cfg.data, cfg.granularity, cfg.val_data)
    inputs = {"train": train_file, **({"val": val_file} if val_file else {})}
    if cfg.mix_data and cfg.mix_ratio > 0:
        if not Path(cfg.mix_data).expanduser().is_file():
            raise InputError(f"mix_data {cfg.mix_data} does not exist")
        inputs["mix"] = Path(cfg.mix_data).expanduser()
    artifact = _open_output(cfg, inputs, layout, force)

    tokenizer = load_tokenizer(cfg.model)
    train_set = _examples(train_file, cfg, objective, tokenizer, mix=True)
    val_set = _examples(val_file, cfg, objective, tokenizer) if val_file else None
    model = load_trainable_model(cfg, method, layout)
    trainable, total_params = count_parameters(model)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0  # pads carry no loss
    module, result = fit(cfg, layout, model, method, objective, train_set, val_set, pad_id, out, on_step)
    export_trained(module, tokenizer, out, method, layout)
    if artifact is not None:
        shutil.rmtree(out / CHECKPOINTS, ignore_errors=True)  # the exported model supersedes them
        artifact.finish(
            {
                "steps": result.steps,
                "resumed_from_step": result.start_step,
                "train_rows": len(train_set.rows),
                "train_examples": len(train_set.examples),
                "train_mix_records": len({e.group for e in train_set.examples if e.side == "mix"}),
                "train_target_tokens": train_set.target_tokens,
                "trainable_parameters": trainable,
                "total_parameters": total_params,
                "final_loss": result.last.get("loss"),
                "final_val_loss": result.last.get("val_loss"),
                "tokens_seen_since_start": result.tokens,
                "seconds": round(result.seconds, 2),
                "world_size": layout.world,
                "format": "peft-adapter" if method.is_adapter else "hf-checkpoint",
            }
        )
    # every rank ends the process group before it exits (after a failure it does not: the other
    # ranks may be inside a collective that never completes, and the process exits anyway)
    shutdown(layout)
    return out
