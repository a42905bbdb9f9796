"""The ``vllm`` backend, used when vLLM is installed (it is not on the project machines).

One ``SamplingParams`` per prompt (``n`` samples, its own seed), LoRA adapters through
``LoRARequest``. vLLM reports ``finish_reason="stop"`` for both EOS and stop strings; a
``stop_reason`` of None there means EOS. ``stop_check`` is not supported (ignored).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seccodegen.errors import ModelLoadError
from seccodegen.sample.engine import ENGINES, Completion, StopCheck
from seccodegen.sample.sampler import derive_seed


class VLLMEngine:
    name = "vllm"

    def __init__(self, llm: Any, vllm: Any, lora: Any = None) -> None:
        self.llm, self.vllm, self.lora = llm, vllm, lora
        get_tokenizer = getattr(llm, "get_tokenizer", None)
        self.tokenizer = get_tokenizer() if get_tokenizer else None  # for chat templates

    def generate(
        self,
        prompts: list[str],
        n: int,
        temperature: float,
        top_p: float,
        max_new_tokens: int,
        seed: int,
        stop: list[str] | None = None,
        *,
        prompt_seeds: Sequence[int] | None = None,
        sample_offsets: Sequence[int] | None = None,
        stop_check: StopCheck | None = None,
    ) -> list[list[Completion]]:
        seeds = prompt_seeds or [derive_seed("prompt", seed, i) for i in range(len(prompts))]
        offsets = sample_offsets or [0] * len(prompts)
        params = [
            self.vllm.SamplingParams(
                n=n,
                temperature=temperature,
                top_p=top_p,
                max_tokens=max_new_tokens,
                seed=derive_seed("vllm", seeds[i], offsets[i]) % (2**31),
                stop=list(stop or []) or None,
            )
            for i in range(len(prompts))
        ]
        kwargs = {"lora_request": self.lora} if self.lora is not None else {}
        outputs = self.llm.generate(prompts, params, **kwargs)
        result = []
        for out in outputs:
            prompt_tokens = len(out.prompt_token_ids or [])
            row = []
            for comp in out.outputs:
                reason = comp.finish_reason
                if reason == "stop" and getattr(comp, "stop_reason", None) is None:
                    reason = "eos"
                row.append(
                    Completion(
                        comp.text,
                        reason if reason in ("stop", "eos") else "length",
                        prompt_tokens,
                        len(comp.token_ids),
                    )
                )
            result.append(row)
        return result


@ENGINES.register("vllm")
def make_vllm_engine(
    model: str,
    adapter: str | None = None,
    dtype: str | None = None,
    device: str | None = None,
    **options: Any,
) -> VLLMEngine:
    try:
        import vllm
    except ImportError:
        raise ModelLoadError(
            "the vllm backend needs vLLM installed (pip install vllm); use --backend hf"
        ) from None
    from seccodegen.models.loader import resolve_model_dir

    path = resolve_model_dir(model)
    lora = None
    if adapter:
        cfg = Path(adapter) / "adapter_config.json"
        if not cfg.is_file():
            raise ModelLoadError(f"adapter folder {adapter} has no adapter_config.json")
        rank = int(json.loads(cfg.read_text()).get("r", 16))
        from vllm.lora.request import LoRARequest

        lora = LoRARequest(Path(adapter).name, 1, str(adapter))
        llm = vllm.LLM(model=path, dtype=dtype or "auto", enable_lora=True, max_lora_rank=max(rank, 8))
    else:
        llm = vllm.LLM(model=path, dtype=dtype or "auto")
    return VLLMEngine(llm, vllm, lora)
