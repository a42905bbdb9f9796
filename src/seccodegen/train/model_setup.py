"""Load the base model for a method, make it trainable, and save the result in standard formats.

* adapters (lora, dora, qlora, ia3): ``PeftModel.save_pretrained`` -> ``adapter_config.json`` +
  ``adapter_model.safetensors`` (``PeftModel.from_pretrained(base, OUT)`` loads it);
* full: ``save_pretrained`` -> ``config.json`` + ``model.safetensors`` (a normal HF checkpoint).
The tokenizer is saved beside either, so ``--model OUT`` works in the later stages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from seccodegen.errors import ModelLoadError
from seccodegen.models.loader import load_model, resolve_model_dir
from seccodegen.models.peft_compat import bare_model, enable_activation_checkpointing
from seccodegen.train.distributed import ProcessLayout, is_fsdp, unwrap
from seccodegen.train.methods import Method


def check_packing_support(cfg: Any) -> None:
    """Packed rows need transformers' per-sample masks from restarting position_ids (>= 4.54)."""
    if not cfg.packing or cfg.attn_implementation.startswith("flash_attention"):
        return
    try:
        from transformers.masking_utils import find_packed_sequence_indices  # noqa: F401
    except ImportError:
        raise ModelLoadError(
            "packing needs transformers >= 4.54 (per-sample attention masks); upgrade it or --set packing=false"
        ) from None


def load_trainable_model(cfg: Any, method: Method, layout: ProcessLayout) -> Any:
    check_packing_support(cfg)
    on_cuda = layout.device.type == "cuda"
    dtype = method.base_dtype(cfg, on_cuda)
    if method.quantization is not None:
        from transformers import AutoModelForCausalLM

        try:
            model = AutoModelForCausalLM.from_pretrained(
                resolve_model_dir(cfg.model),
                quantization_config=method.quantization(cfg),
                dtype=torch.bfloat16,
                attn_implementation=cfg.attn_implementation,
                device_map={"": layout.device},
            )
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot load {cfg.model!r} in 4 bits: {str(exc).splitlines()[0]}") from None
    else:
        model = load_model(cfg.model, dtype=dtype, attn_implementation=cfg.attn_implementation)
        if getattr(model, "peft_config", None):
            raise ModelLoadError(f"--model {cfg.model} is an adapter; train from its base model instead")
        model.requires_grad_(False)
    model.config.use_cache = False  # a KV cache disables packed-sequence masking in transformers
    torch.manual_seed(cfg.seed)  # adapter initialisation is part of the run's seed
    model = method.wrap(model, cfg)
    if method.quantization is None:
        model.to(layout.device)
    if cfg.gradient_checkpointing:
        enable_activation_checkpointing(model)
    model.train()
    return model


# keyword arguments of every layer's torch.compile; tests swap in a CPU-friendly backend
COMPILE_OPTIONS: dict[str, Any] = {}


def compile_decoder_layers(model: torch.nn.Module) -> int:
    """Compile each decoder layer in place (``nn.Module.compile``: regional compilation, as
    torchtitan does); returns how many. One graph serves every layer of the same shape, so the compile
    time is that of one layer, and the attention mask and rotary tables built outside the layers stay
    eager. Shapes vary with the batch's longest row: the second width seen makes the graphs dynamic."""
    base = bare_model(model)
    try:
        layers = base.get_decoder().layers
    except AttributeError:
        raise ModelLoadError(
            f"compile_layers: {type(base).__name__} has no decoder layer list (get_decoder().layers); "
            "--set compile_layers=false"
        ) from None
    # graphs per layer code: train/eval, adapter on/off (the reference pass of dpo), grad/no-grad,
    # static/dynamic widths; past the limit (8 by default) torch silently runs the layer eagerly
    torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 64)
    for layer in layers:
        layer.compile(**COMPILE_OPTIONS)
    return len(layers)


def count_parameters(model: torch.nn.Module) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, sum(p.numel() for p in model.parameters())


def export_trained(
    module: torch.nn.Module, tokenizer: Any, out: Path, method: Method, layout: ProcessLayout
) -> None:
    """Rank 0 writes the adapter or the full checkpoint + tokenizer into ``out``."""
    scorer = unwrap(module)
    model = scorer.model
    state = None
    if is_fsdp(module):  # gather the sharded weights (every rank takes part)
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

        full = get_model_state_dict(module, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
        state = {k.removeprefix("model."): v for k, v in full.items()}
    if layout.is_main:
        if method.is_adapter:
            model.save_pretrained(out)
        else:
            model.save_pretrained(out, state_dict=state)
        tokenizer.save_pretrained(out)
    layout.barrier()
