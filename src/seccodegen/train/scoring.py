"""The module the loop trains: a causal LM that returns the log-probabilities of target tokens.

Only positions with a target go through the output layer, and (with ``chunked_ce``) they go in
chunks of ``ce_chunk_tokens`` whose logits are recomputed in backward instead of stored: for a
152k-token vocabulary a 4x1024 batch would otherwise hold 2.5 GB of float32 logits (+ grads).
Packed rows carry restarting ``position_ids`` and no attention mask, which transformers turns into
a per-sample causal mask; ``use_cache=False`` is required for that detection.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from seccodegen.models.peft_compat import bare_model
from seccodegen.train.data import IGNORE


def _chunk_logprobs(hidden: torch.Tensor, targets: torch.Tensor, head: nn.Module) -> torch.Tensor:
    logits = head(hidden).float()  # float32 log-softmax: bf16 loses ~2 digits on 32k+ vocabularies
    picked = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return picked - torch.logsumexp(logits, dim=-1)


def _chunk_logprobs_and_kl(
    hidden: torch.Tensor, targets: torch.Tensor, head: nn.Module, ref_logdist: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """log p(target) and KL(reference || model) over the vocabulary, per position."""
    logq = torch.log_softmax(head(hidden).float(), dim=-1)
    kl = (ref_logdist.exp() * (ref_logdist - logq)).sum(-1)
    return logq.gather(-1, targets.unsqueeze(-1)).squeeze(-1), kl


def uses_plain_logits(config: Any) -> bool:
    """Models whose logits are post-processed after lm_head (soft-capping, scaling) need the plain path."""
    return bool(getattr(config, "final_logit_softcapping", None) or getattr(config, "logit_scale", None))


class TargetLogprobs(nn.Module):
    """``forward(input_ids, position_ids, targets) -> log p(target)`` for targets != IGNORE (row-major)."""

    def __init__(self, model: nn.Module, chunked: bool = True, chunk_tokens: int = 4096) -> None:
        super().__init__()
        self.model = model
        base = bare_model(model)
        self.chunked = chunked and not uses_plain_logits(base.config)
        self.chunk_tokens = chunk_tokens

    def _base(self) -> nn.Module:
        return bare_model(self.model)

    def forward(
        self,
        input_ids: torch.Tensor,
        position_ids: torch.Tensor,
        targets: torch.Tensor,
        ref_logdist: torch.Tensor | None = None,
    ) -> Any:
        """log p(target) per target position; with ``ref_logdist`` ([targets, vocab] log-probs of a
        reference model) also KL(reference || model) per target position, as a pair."""
        selected = targets != IGNORE
        wanted = targets[selected]
        if not self.chunked:
            logits = self.model(input_ids=input_ids, position_ids=position_ids, use_cache=False).logits
            logq = logits[selected].float().log_softmax(-1)
            lp = logq.gather(-1, wanted.unsqueeze(-1)).squeeze(-1)
            if ref_logdist is None:
                return lp
            return lp, (ref_logdist.exp() * (ref_logdist - logq)).sum(-1)
        base = self._base()
        hidden = base.get_decoder()(input_ids=input_ids, position_ids=position_ids, use_cache=False)
        hidden = hidden.last_hidden_state[selected]
        head = base.get_output_embeddings()
        pieces, kls = [], []
        # range(max(n, 1)): one (possibly empty) chunk always runs, so every parameter is in the
        # graph even for a batch without targets (DDP requires it).
        for start in range(0, max(len(wanted), 1), self.chunk_tokens):
            part = slice(start, start + self.chunk_tokens)
            args: tuple[Any, ...] = (hidden[part], wanted[part], head)
            fn: Any = _chunk_logprobs
            if ref_logdist is not None:
                args, fn = (*args, ref_logdist[part]), _chunk_logprobs_and_kl
            out = checkpoint(fn, *args, use_reentrant=False) if torch.is_grad_enabled() else fn(*args)
            if ref_logdist is None:
                pieces.append(out)
            else:
                pieces.append(out[0])
                kls.append(out[1])
        return torch.cat(pieces) if ref_logdist is None else (torch.cat(pieces), torch.cat(kls))

    @torch.no_grad()
    def reference(
        self, input_ids: torch.Tensor, position_ids: torch.Tensor, targets: torch.Tensor, distribution: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The base model's log p(target) (and full log-distribution) with the adapter switched off."""
        selected = targets != IGNORE
        wanted = targets[selected]
        with self.model.disable_adapter():
            logits = self.model(input_ids=input_ids, position_ids=position_ids, use_cache=False).logits
        logp = logits[selected].float().log_softmax(-1)
        return logp.gather(-1, wanted.unsqueeze(-1)).squeeze(-1), (logp if distribution else None)
