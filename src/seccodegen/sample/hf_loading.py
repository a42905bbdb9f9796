"""Model/tokenizer loading and prompt encoding shared by the ``hf`` and ``hf-generate`` backends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def resolve_device(device: str | None) -> str:
    import torch

    if device:
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_dtype(dtype: str | None, device: str) -> str:
    """Default: bfloat16 on a GPU, float32 on CPU (CPU bf16 matmuls are slow and imprecise)."""
    if dtype and dtype != "auto":
        return dtype
    return "bfloat16" if device.startswith("cuda") else "float32"


def load_for_sampling(
    model: str, adapter: str | None, dtype: str | None, device: str | None, merge_adapter: bool
) -> tuple[Any, Any, str]:
    """(model in eval mode on ``device``, tokenizer, device). ``merge_adapter`` folds a LoRA/IA3
    adapter into the base weights (same function, no per-layer adapter overhead)."""
    from seccodegen.models.loader import load_model, load_tokenizer

    dev = resolve_device(device)
    lm = load_model(model, adapter=adapter, dtype=resolve_dtype(dtype, dev), device=dev)
    if merge_adapter and hasattr(lm, "merge_and_unload"):
        try:
            lm = lm.merge_and_unload()
        except (ValueError, TypeError, AttributeError):
            pass  # not mergeable (prompt tuning): keep the PeftModel, HF forward handles it
    lm.eval()
    tokenizer = load_tokenizer(adapter if adapter and _has_tokenizer(adapter) else model)
    return lm, tokenizer, dev


def _has_tokenizer(folder: str) -> bool:
    from pathlib import Path

    return (Path(folder) / "tokenizer_config.json").is_file()


def eos_token_ids(model: Any, tokenizer: Any) -> set[int]:
    """EOS ids from the tokenizer and the model's generation config (it may list several)."""
    ids: set[int] = set()
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    gen = getattr(model, "generation_config", None)
    extra = getattr(gen, "eos_token_id", None) if gen is not None else None
    if isinstance(extra, int):
        ids.add(extra)
    elif isinstance(extra, (list, tuple)):
        ids.update(int(i) for i in extra)
    return ids


def encode_prompts(tokenizer: Any, prompts: Sequence[str]) -> list[list[int]]:
    """Token ids per prompt. BOS etc. are added as the tokenizer does by default, unless the
    prompt text already starts with the BOS string (a rendered chat template usually does)."""
    bos = tokenizer.bos_token
    out = []
    for text in prompts:
        add_special = not (bos and text.startswith(bos))
        out.append(list(tokenizer(text, add_special_tokens=add_special)["input_ids"]))
    return out


def left_pad(token_lists: Sequence[Sequence[int]], pad_id: int, device: str):
    """``(input_ids [U, P], attention_mask [U, P])`` with prompts right-aligned (left padding)."""
    import torch

    width = max(len(t) for t in token_lists)
    ids = torch.full((len(token_lists), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(token_lists), width), dtype=torch.long)
    for i, toks in enumerate(token_lists):
        if toks:
            ids[i, width - len(toks) :] = torch.tensor(toks, dtype=torch.long)
            mask[i, width - len(toks) :] = 1
    return ids.to(device), mask.to(device)
