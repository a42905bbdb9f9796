"""``TrainConfig``: what to fine-tune, on which data, with which method and objective.

Method-dependent hyper-parameters (``lr``, ``batch_size``, ``epochs``) default to ``None`` and are
filled from the method's defaults (the study's values, see ``methods.py``) by :func:`resolve`.
Importing this module imports no torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from seccodegen.errors import ConfigError
from seccodegen.models.specs import MODEL_HELP

GRANULARITIES = ("file", "function", "block", "line")


@dataclass(frozen=True)
class LoraSettings:
    """LoRA / DoRA / QLoRA adapter shape (the study: r=8, alpha=16, dropout 0.05)."""

    r: int = field(default=8, metadata={"help": "rank of the update matrices"})
    alpha: int = field(default=16, metadata={"help": "scaling numerator (scale = alpha / r)"})
    dropout: float = field(default=0.05, metadata={"help": "dropout on the adapter input"})
    target_modules: tuple[str, ...] = field(
        default=(),
        metadata={"help": "module names to adapt; empty = the family default listed in train/methods.py"},
    )

    def __post_init__(self) -> None:
        if self.r < 1:
            raise ValueError(f"lora.r must be >= 1, got {self.r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"lora.dropout must be in [0, 1), got {self.dropout}")


@dataclass(frozen=True)
class IA3Settings:
    """IA3 scaling vectors (target/feed-forward modules; empty = peft's per-family defaults)."""

    target_modules: tuple[str, ...] = field(default=(), metadata={"help": "modules to rescale"})
    feedforward_modules: tuple[str, ...] = field(
        default=(), metadata={"help": "subset of target_modules rescaled on their input (MLP layers)"}
    )


@dataclass(frozen=True)
class PairObjectiveSettings:
    """Weights of the pair objectives (unlikelihood, dpo) that also learn from the vulnerable side."""

    unlikelihood_weight: float = field(
        default=1.0,
        metadata={"help": "unlikelihood: weight of -log(1 - p) on the vulnerable side's changed tokens"},
    )
    kl_weight: float = field(
        default=1.0,
        metadata={"help": "unlikelihood: weight of KL(base || model) on unchanged tokens of both sides"},
    )
    dpo_beta: float = field(
        default=0.1, metadata={"help": "dpo: inverse temperature of the preference margin"}
    )
    dpo_nll_weight: float = field(
        default=0.0,
        metadata={
            "help": "dpo: weight of the fixed side's mean token cross-entropy added per pair (RPO, "
            "Pang et al. 2024); keeps DPO from lowering the likelihood of the fixed code too"
        },
    )

    dpo_kl_weight: float = field(
        default=0.0,
        metadata={
            "help": "dpo: weight of KL(base || model) summed over each side's unchanged tokens, added "
            "per pair (SVEN's KL term, token-level as in TDPO; compare with dpo_beta); keeps the code "
            "around a fix as the base model writes it while the margin learns the fix"
        },
    )

    def __post_init__(self) -> None:
        weights = (self.unlikelihood_weight, self.kl_weight, self.dpo_nll_weight, self.dpo_kl_weight)
        if min(weights) < 0 or self.dpo_beta <= 0:
            raise ValueError("pairs weights must be >= 0 and dpo_beta > 0")


@dataclass(frozen=True)
class TrainConfig:
    model: str = field(default="", metadata={"help": f"model to fine-tune: {MODEL_HELP}"})
    data: str = field(
        default="", metadata={"help": "dataset dir (DATA/<granularity>/train.jsonl) or a .jsonl file"}
    )
    out: str = field(
        default="", metadata={"help": "artifact directory (adapter or checkpoint, logs, manifest)"}
    )
    granularity: Literal["file", "function", "block", "line"] = field(
        default="block", metadata={"help": "which level of a dataset dir to train on"}
    )
    val_data: str | None = field(
        default=None, metadata={"help": "validation .jsonl; default: val.jsonl beside the train file"}
    )
    mix_data: str | None = field(
        default=None,
        metadata={
            "help": "general instruction JSONL ({instruction, input, output}, e.g. safecoder-pairs/val/"
            "lmsys.jsonl) mixed into training with the plain lm loss whatever the objective"
        },
    )
    mix_ratio: float = field(
        default=0.0,
        metadata={
            "help": "fraction of training records drawn (seeded) from mix_data, in [0, 1); "
            "0.2 adds 1 instruction record per 4 task records"
        },
    )
    method: str = field(default="lora", metadata={"help": "tuning method: full, lora, ia3, dora, qlora"})
    objective: str = field(
        default="lm",
        metadata={"help": "training objective: lm, masked-lm, unlikelihood, masked-unlikelihood, dpo"},
    )
    chat_template: bool = field(
        default=False,
        metadata={
            "help": "records with an instruction (and mixed-in instruction data) become one chat turn of "
            "the model's template, the code the answer in a fence; only the answer is a target"
        },
    )
    max_seq_len: int = field(
        default=1024, metadata={"help": "tokens per row; longer samples are split into windows"}
    )
    packing: bool = field(
        default=True,
        metadata={"help": "pack short samples into rows of max_seq_len (no cross-sample attention)"},
    )
    epochs: int | None = field(default=None, metadata={"help": "passes over the data (None: method default)"})
    max_steps: int | None = field(default=None, metadata={"help": "stop after this many optimizer steps"})
    batch_size: int | None = field(
        default=None,
        metadata={
            "help": "rows per micro-batch per process (packed rows when packing); None: method default"
        },
    )
    grad_accum: int = field(default=1, metadata={"help": "micro-batches per optimizer step"})
    lr: float | None = field(default=None, metadata={"help": "peak learning rate (None: method default)"})
    warmup: float = field(
        default=0.0, metadata={"help": "warmup: fraction of steps if < 1, else a step count"}
    )
    schedule: Literal["linear", "cosine", "constant"] = field(
        default="linear", metadata={"help": "lr decay after warmup"}
    )
    weight_decay: float = field(default=0.0, metadata={"help": "AdamW weight decay"})
    max_grad_norm: float = field(default=1.0, metadata={"help": "gradient clipping norm (0 = off)"})
    seed: int = field(default=42, metadata={"help": "seed for adapter init, data order and dropout"})
    bf16: bool = field(
        default=True, metadata={"help": "bfloat16 base weights + autocast on CUDA (CPU trains in float32)"}
    )
    full_param_dtype: Literal["float32", "bfloat16"] = field(
        default="float32",
        metadata={
            "help": "full fine-tuning: dtype of trainable weights and AdamW states (bfloat16 fits 7B in 80 GB)"
        },
    )
    attn_implementation: str = field(default="sdpa", metadata={"help": "sdpa, eager, flash_attention_2, ..."})
    chunked_ce: bool = field(
        default=True,
        metadata={"help": "cross-entropy in recomputed chunks of tokens (no full logits tensor)"},
    )
    ce_chunk_tokens: int = field(default=4096, metadata={"help": "tokens per cross-entropy chunk"})
    gradient_checkpointing: bool = field(
        default=False, metadata={"help": "recompute activations in backward"}
    )
    compile_layers: bool = field(
        default=False,
        metadata={
            "help": "torch.compile each decoder layer (regional compilation: norms, RoPE, SwiGLU and "
            "residual adds fused); the first steps pay the compile time, tens of seconds on a GPU"
        },
    )
    eval_every: int = field(
        default=0, metadata={"help": "validation loss every N steps (0: only at the end)"}
    )
    save_every: int = field(
        default=100, metadata={"help": "resumable checkpoint every N optimizer steps (0: off)"}
    )
    keep_checkpoints: int = field(default=2, metadata={"help": "how many recent checkpoints to keep"})
    log_every: int = field(default=10, metadata={"help": "train_log.jsonl line every N steps"})
    lora: LoraSettings = field(default_factory=LoraSettings, metadata={"help": "LoRA/DoRA/QLoRA settings"})
    ia3: IA3Settings = field(default_factory=IA3Settings, metadata={"help": "IA3 settings"})
    pairs: PairObjectiveSettings = field(
        default_factory=PairObjectiveSettings, metadata={"help": "unlikelihood / dpo weights"}
    )

    def __post_init__(self) -> None:
        for name in ("max_seq_len", "grad_accum", "ce_chunk_tokens", "log_every", "keep_checkpoints"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("epochs", "batch_size", "max_steps"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        if self.lr is not None and self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.warmup < 0 or self.weight_decay < 0 or self.max_grad_norm < 0:
            raise ValueError("warmup, weight_decay and max_grad_norm must be >= 0")
        if not 0.0 <= self.mix_ratio < 1.0:
            raise ValueError(f"mix_ratio must be in [0, 1), got {self.mix_ratio}")
        if self.mix_ratio > 0 and not self.mix_data:
            raise ValueError("mix_ratio > 0 needs mix_data (a general instruction .jsonl)")
        if self.eval_every < 0 or self.save_every < 0:
            raise ValueError("eval_every and save_every must be >= 0")


def resolve(cfg: TrainConfig) -> TrainConfig:
    """Fill ``lr``/``batch_size``/``epochs`` left at None from the method's defaults; check names."""
    from seccodegen.train.methods import METHODS
    from seccodegen.train.objectives import OBJECTIVES

    method = METHODS.get(cfg.method)
    objective = OBJECTIVES.get(cfg.objective)
    if objective.needs_reference and not method.is_adapter:
        raise ConfigError(
            f"objective {cfg.objective!r} needs an adapter method (lora, ia3, dora, qlora): its reference "
            "model is the base model with the adapter switched off"
        )
    return replace(
        cfg,
        lr=cfg.lr if cfg.lr is not None else method.default_lr,
        batch_size=cfg.batch_size if cfg.batch_size is not None else method.default_batch_size,
        epochs=cfg.epochs if cfg.epochs is not None else method.default_epochs,
    )
