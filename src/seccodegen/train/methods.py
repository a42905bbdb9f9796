"""Tuning methods by name: ``full``, ``lora``, ``dora``, ``qlora``, ``ia3``.

A method says how to load the base model (dtype, quantisation), which parameters train, and its
default hyper-parameters (the study's, Li et al. section 4.1: LoRA and IA3 at lr 3e-4; IA3 with
batch 5 for 2 epochs). Full fine-tuning uses lr 2e-5 (a common value for 1B-7B code models;
3e-4 diverges when every weight moves).

LoRA target modules per architecture family (``model_type`` in config.json); attention
projections, as in the study:

* llama, mistral, mixtral, qwen2, qwen3, gemma, gemma2, starcoder2: q_proj, k_proj, v_proj, o_proj
* codegen: qkv_proj, out_proj
* gpt_bigcode (StarCoder/SantaCoder): c_attn, attn.c_proj
* gpt_neox, falcon: query_key_value, dense
* gpt2: c_attn, attn.c_proj
* any other family: peft's own default for it, else every linear layer ("all-linear")

IA3 uses peft's per-family defaults (llama/mistral: k_proj, v_proj, down_proj with down_proj
as the feed-forward module; qwen2: q_proj, v_proj, down_proj).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seccodegen.errors import SeccodegenError
from seccodegen.models.peft_compat import quiet_peft_deprecation
from seccodegen.registry import Registry


class MethodUnavailableError(SeccodegenError):
    """A tuning method needs a dependency or device that is missing here."""


LORA_TARGETS: dict[str, tuple[str, ...]] = {
    **{
        family: ("q_proj", "k_proj", "v_proj", "o_proj")
        for family in ("llama", "mistral", "mixtral", "qwen2", "qwen3", "gemma", "gemma2", "starcoder2")
    },
    "codegen": ("qkv_proj", "out_proj"),
    "gpt_bigcode": ("c_attn", "attn.c_proj"),
    "gpt_neox": ("query_key_value", "dense"),
    "falcon": ("query_key_value", "dense"),
    "gpt2": ("c_attn", "attn.c_proj"),
}


def lora_targets(model_type: str, configured: tuple[str, ...]) -> list[str] | str:
    if configured:
        return list(configured)
    if model_type in LORA_TARGETS:
        return list(LORA_TARGETS[model_type])
    from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as PEFT_DEFAULTS

    return list(PEFT_DEFAULTS.get(model_type, [])) or "all-linear"


@dataclass(frozen=True)
class Method:
    """How one tuning method loads and wraps a model."""

    name: str
    is_adapter: bool
    default_lr: float
    default_batch_size: int
    default_epochs: int
    wrap: Callable[[Any, Any], Any]  # (model, TrainConfig) -> trainable model
    check: Callable[[Any], None] = lambda cfg: None  # raises MethodUnavailableError
    quantization: Callable[[Any], Any] | None = None  # cfg -> BitsAndBytesConfig

    def base_dtype(self, cfg: Any, on_cuda: bool) -> str:
        """dtype the base weights are loaded in."""
        if not self.is_adapter:
            return cfg.full_param_dtype if on_cuda or cfg.full_param_dtype == "float32" else "float32"
        return "bfloat16" if (cfg.bf16 and on_cuda) else "float32"


METHODS: Registry[Method] = Registry("tuning method")


def _model_type(model: Any) -> str:
    return getattr(model.config, "model_type", "")


def _wrap_full(model: Any, cfg: Any) -> Any:
    model.requires_grad_(True)
    return model


def _lora_config(model: Any, cfg: Any, use_dora: bool) -> Any:
    from peft import LoraConfig

    return LoraConfig(
        r=cfg.lora.r,
        lora_alpha=cfg.lora.alpha,
        lora_dropout=cfg.lora.dropout,
        target_modules=lora_targets(_model_type(model), cfg.lora.target_modules),
        use_dora=use_dora,
        bias="none",
        task_type="CAUSAL_LM",
    )


def _peft_model(model: Any, peft_config: Any) -> Any:
    from peft import get_peft_model

    with quiet_peft_deprecation():
        return get_peft_model(model, peft_config)


def _wrap_lora(model: Any, cfg: Any, use_dora: bool = False) -> Any:
    return _peft_model(model, _lora_config(model, cfg, use_dora))


def _wrap_qlora(model: Any, cfg: Any) -> Any:
    from peft import prepare_model_for_kbit_training

    model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=cfg.gradient_checkpointing)
    return _wrap_lora(model, cfg)


def _wrap_ia3(model: Any, cfg: Any) -> Any:
    from peft import IA3Config

    kwargs: dict[str, Any] = {"task_type": "CAUSAL_LM"}
    if cfg.ia3.target_modules:
        kwargs["target_modules"] = list(cfg.ia3.target_modules)
        kwargs["feedforward_modules"] = list(cfg.ia3.feedforward_modules)
    return _peft_model(model, IA3Config(**kwargs))


def _check_qlora(cfg: Any) -> None:
    import torch

    if importlib.util.find_spec("bitsandbytes") is None:
        raise MethodUnavailableError(
            "method 'qlora' needs bitsandbytes: pip install bitsandbytes (and a CUDA GPU)"
        )
    if not torch.cuda.is_available():
        raise MethodUnavailableError(
            "method 'qlora' needs a CUDA GPU (bitsandbytes 4-bit kernels); use 'lora' here"
        )


def _qlora_quantization(cfg: Any) -> Any:
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )


METHODS.register("full", Method("full", False, 2e-5, 4, 2, _wrap_full))
METHODS.register("lora", Method("lora", True, 3e-4, 4, 2, _wrap_lora))
METHODS.register("dora", Method("dora", True, 3e-4, 4, 2, lambda m, c: _wrap_lora(m, c, use_dora=True)))
METHODS.register(
    "qlora",
    Method("qlora", True, 3e-4, 4, 2, _wrap_qlora, check=_check_qlora, quantization=_qlora_quantization),
)
METHODS.register("ia3", Method("ia3", True, 3e-4, 5, 2, _wrap_ia3))
