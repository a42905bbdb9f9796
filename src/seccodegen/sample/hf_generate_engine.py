"""The ``hf-generate`` backend: plain ``model.generate`` on left-padded batches (the baseline).

Batches of ``max(1, max_batch // n)`` prompts, ``num_return_sequences=n``; seeded with
``torch.manual_seed`` per batch, so a sample depends on which prompts share its batch
(reproducible for the same call, not across different batchings). ``top_k=0``: the same
temperature + top-p distribution as the ``hf`` backend. Stop strings go to ``generate``'s
``stop_strings``; ``stop_check`` is not supported (ignored).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from seccodegen.sample.engine import ENGINES, Completion, StopCheck, cut_at_stop
from seccodegen.sample.sampler import derive_seed

DEFAULT_MAX_BATCH = 64  # sequences per generate call


class HFGenerateEngine:
    name = "hf-generate"

    def __init__(self, lm: Any, tokenizer: Any, device: str, max_batch: int | None = None, **_: Any) -> None:
        from seccodegen.sample.hf_loading import eos_token_ids

        self.lm, self.tokenizer, self.device = lm, tokenizer, device
        self.max_batch = max_batch or DEFAULT_MAX_BATCH
        self.eos_ids = eos_token_ids(lm, tokenizer)

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
        import torch

        from seccodegen.sample.hf_loading import encode_prompts, left_pad

        encoded = encode_prompts(self.tokenizer, prompts)
        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        per_call = max(1, self.max_batch // n)
        out: list[list[Completion]] = []
        stops = [s for s in (stop or []) if s]
        for start in range(0, len(encoded), per_call):
            chunk = encoded[start : start + per_call]
            input_ids, mask = left_pad(chunk, pad_id, self.device)
            base_seed = prompt_seeds[start] if prompt_seeds else seed
            torch.manual_seed(derive_seed("hf-generate", base_seed, start) % (2**63))
            kwargs: dict[str, Any] = {
                "do_sample": temperature > 0,
                "max_new_tokens": max_new_tokens,
                "num_return_sequences": n,
                "pad_token_id": pad_id,
                "top_k": 0,
            }
            if temperature > 0:
                kwargs.update(temperature=temperature, top_p=top_p)
            if stops:
                kwargs.update(stop_strings=stops, tokenizer=self.tokenizer)
            with torch.inference_mode():
                generated = self.lm.generate(input_ids=input_ids, attention_mask=mask, **kwargs)
            new = generated[:, input_ids.shape[1] :].tolist()
            for i, toks in enumerate(chunk):
                out.append([self._completion(toks, new[i * n + j], stops) for j in range(n)])
        return out

    def _completion(self, prompt_ids: list[int], ids: list[int], stops: list[str]) -> Completion:
        reason = "length"
        for k, tok in enumerate(ids):
            if tok in self.eos_ids:
                ids, reason = ids[:k], "eos"
                break
        text = self.tokenizer.decode(prompt_ids[-1:] + ids, skip_special_tokens=True)
        head = self.tokenizer.decode(prompt_ids[-1:], skip_special_tokens=True)
        text = (
            text[len(head) :]
            if text.startswith(head)
            else self.tokenizer.decode(ids, skip_special_tokens=True)
        )
        if stops:
            text, found = cut_at_stop(text, stops)
            reason = "stop" if found else reason
        return Completion(text, reason, len(prompt_ids), len(ids))


@ENGINES.register("hf-generate")
def make_hf_generate_engine(
    model: str,
    adapter: str | None = None,
    dtype: str | None = None,
    device: str | None = None,
    **options: Any,
) -> HFGenerateEngine:
    from seccodegen.sample.hf_loading import load_for_sampling

    lm, tokenizer, dev = load_for_sampling(model, adapter, dtype, device, merge_adapter=False)
    return HFGenerateEngine(lm, tokenizer, dev, **options)
