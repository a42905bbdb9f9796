"""Our batched decode loop: sample, check stops every few steps, drop finished groups.

A *stepper* owns the model state for one batch: ``prefill(input_ids, attention_mask, n,
max_new_tokens) -> logits [U*n, V]``, ``step(tokens [rows]) -> logits [rows, V]`` and
``keep_groups(keep) -> bool`` (False = cannot drop rows). Rows are ``group * n + j``.

Stops are checked on the host every ``check_every`` steps (one device->host copy of the new
tokens), not every step, so the GPU is not stalled waiting for the CPU each token.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from seccodegen.models.peft_compat import bare_model
from seccodegen.sample.engine import cut_at_stop
from seccodegen.sample.sampler import row_uniforms, sample_top_p

# drop finished groups once they hold at least this fraction of the batch's rows (a compaction
# copies the live KV cache, so doing it for every single finished group would cost more)
COMPACT_FRACTION = 0.25


@dataclass
class StopRules:
    """When does a row end? ``decode``: (group index, token ids) -> completion text."""

    decode: Callable[[int, list[int]], str]
    eos_ids: frozenset[int]
    stop: tuple[str, ...] = ()
    stop_check: Callable[[int, str], bool] | None = None  # (group index, text) -> ended?

    def _text_ends(self, group: int, ids: list[int]) -> bool:
        text = self.decode(group, ids)
        if self.stop and cut_at_stop(text, self.stop)[1]:
            return True
        return self.stop_check is not None and self.stop_check(group, text)

    def scan(self, group: int, ids: list[int], start: int) -> tuple[int, str] | None:
        """``ids`` = all tokens of the row so far, ``ids[start:]`` new. Returns (kept length,
        reason) when the row ends within the new tokens."""
        end = len(ids)
        for k in range(start, end):
            if ids[k] in self.eos_ids:
                end = k  # text before the EOS; EOS itself is not kept
                if not (self.stop or self.stop_check) or not self._text_ends(group, ids[:end]):
                    return end, "eos"
                break
        if (self.stop or self.stop_check) and self._text_ends(group, ids[:end]):
            for k in range(start + 1, end + 1):  # the first token at which the text ends
                if self._text_ends(group, ids[:k]):
                    return k, "stop"
            return end, "stop"
        return (end, "eos") if end < len(ids) else None


def decode_batch(
    stepper: Any,
    input_ids: Any,
    attention_mask: Any,
    n: int,
    row_seeds: Sequence[int],
    temperature: float,
    top_p: float,
    max_new_tokens: int,
    rules: StopRules,
    check_every: int = 8,
    sample: Callable[..., Any] = sample_top_p,
) -> list[tuple[list[int], str]]:
    """Generate for ``U`` prompts x ``n`` rows; returns ``(token ids, finish reason)`` per row.
    ``sample(logits, temperature, top_p, uniforms) -> tokens``: ``sampler.sample_top_p`` or a
    ``sampler_for`` sampler."""
    import torch

    device = input_ids.device
    rows = input_ids.shape[0] * n
    uniforms = row_uniforms(row_seeds, max_new_tokens).to(device)
    alive = torch.arange(rows, device=device)  # original row index of each current row
    tokens = torch.zeros((rows, max_new_tokens), dtype=torch.long, device=device)
    ids: list[list[int]] = [[] for _ in range(rows)]
    result: list[tuple[list[int], str] | None] = [None] * rows
    logits = stepper.prefill(input_ids, attention_mask, n, max_new_tokens)
    checked = 0
    for t in range(max_new_tokens):
        tok = sample(logits, temperature, top_p, uniforms[alive, t])
        tokens[alive, t] = tok
        last = t == max_new_tokens - 1
        if not last and (t + 1) % check_every:
            logits = stepper.step(tok)
            continue
        alive_rows = alive.tolist()
        for r, new in zip(alive_rows, tokens[alive, checked : t + 1].tolist()):
            if result[r] is None:
                start = len(ids[r])
                ids[r].extend(new)
                hit = rules.scan(r // n, ids[r], start)
                if hit is not None:
                    result[r] = (ids[r][: hit[0]], hit[1])
        checked = t + 1
        if last:
            break
        done = torch.tensor([result[r] is not None for r in alive_rows]).view(-1, n).all(dim=1)
        if bool(done.all()):
            break
        if int(done.sum()) * n >= COMPACT_FRACTION * len(alive_rows):
            keep = (~done).nonzero().squeeze(1).to(device)
            if stepper.keep_groups(keep):
                kept_rows = (keep[:, None] * n + torch.arange(n, device=device)).reshape(-1)
                alive, tok = alive[kept_rows], tok[kept_rows]
        logits = stepper.step(tok)
    stepper.release()
    return [res if res is not None else (ids[r], "length") for r, res in enumerate(result)]


class HFForwardStepper:
    """Any HF causal LM through its own ``forward`` + cache (no prefix sharing, no row drops)."""

    def __init__(self, model: Any) -> None:
        import inspect

        self.model = model
        base = bare_model(model)
        params = inspect.signature(base.forward).parameters
        # transformers 5.x renamed ``past_key_values`` to ``cache``
        self.cache_kw = "cache" if "cache" in params else "past_key_values"
        self.extra = {"logits_to_keep": 1} if "logits_to_keep" in params else {}
        self.cache = None

    def _forward(self, input_ids, mask, positions, cache):
        kwargs = {self.cache_kw: cache} if cache is not None else {}
        out = self.model(
            input_ids=input_ids,
            attention_mask=mask,
            position_ids=positions,
            use_cache=True,
            **kwargs,
            **self.extra,
        )
        self.cache = out.get("cache", None) or out.get("past_key_values", None)
        return out.logits[:, -1].float()

    def prefill(self, input_ids, attention_mask, n, max_new_tokens):
        self.mask = attention_mask.repeat_interleave(n, dim=0)
        positions = (self.mask.cumsum(-1) - 1).clamp(min=0)
        self.next_pos = positions[:, -1] + 1
        return self._forward(input_ids.repeat_interleave(n, dim=0), self.mask, positions, None)

    def step(self, tokens):
        import torch

        self.mask = torch.cat([self.mask, self.mask.new_ones((self.mask.shape[0], 1))], dim=1)
        logits = self._forward(tokens[:, None], self.mask, self.next_pos[:, None], self.cache)
        self.next_pos = self.next_pos + 1
        return logits

    def keep_groups(self, keep) -> bool:
        return False

    def release(self) -> None:
        self.cache = None
