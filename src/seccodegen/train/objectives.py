"""Training objectives by name. An objective decides which tokens are targets and how their
log-probabilities become a loss.

Interface (every objective is a class built with the run's ``TrainConfig``):

* ``examples(record, group, tokenizer)`` -> tokenized :class:`Example` s of one dataset record
  (a pair objective returns the ``fixed`` and the ``vulnerable`` side, both with ``group``;
  ``keeps_groups_together`` makes packing keep the two sides in one row);
* ``normaliser(batch)`` -> how many units the batch's loss sums over (target tokens, pairs, ...);
  the loop divides every micro-batch's loss sum by the optimizer step's total, across
  micro-batches and processes, so gradient accumulation and DDP give the same gradient;
* ``loss_sum(scores, batch)`` -> the summed loss. ``scores.logprobs``: the model's log-probability
  of every target token (row-major); ``scores.example``: each one's example index in
  ``batch.examples``; ``scores.changed``: whether it lies on a changed line; with
  ``needs_reference``, ``scores.ref_logprobs`` (the base model with the adapter off) and, with
  ``needs_kl``, ``scores.kl`` = KL(base || model) over the vocabulary at each target position.

Registered: ``lm`` (the study: every token of the fixed text), ``masked-lm`` (SafeCoder-style:
only tokens of lines the fix added or changed), ``unlikelihood`` (SVEN/SafeCoder-style: lm on
the fixed side + ``unlikelihood_weight`` x -log(1 - p) on the vulnerable side's changed tokens +
``kl_weight`` x KL(base || model) on the unchanged tokens of both sides; defaults 1.0 and 1.0,
set with ``--set pairs.unlikelihood_weight=...``) and ``dpo`` (direct preference optimisation:
chosen = fixed, rejected = vulnerable, whole-sequence log-probabilities, the base model with the
adapter off as the frozen reference, ``pairs.dpo_beta`` = 0.1).

Mixed-in general instruction examples (``mix_data``, side ``"mix"``, see mixing.py) always get
the plain lm loss: lm and masked-lm sum their cross-entropy like any text token; unlikelihood
counts them as fixed-side tokens (lm term, no KL); dpo adds each one's mean token cross-entropy
as one unit beside the pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from seccodegen.registry import Registry
from seccodegen.train.chat import record_frame
from seccodegen.train.data import Example, changed_char_spans, removed_lines, tokenize_with_mask
from seccodegen.train.mixing import MIX_SIDE


@dataclass
class Scores:
    logprobs: torch.Tensor
    example: torch.Tensor
    changed: torch.Tensor
    ref_logprobs: torch.Tensor | None = None
    kl: torch.Tensor | None = None


class Objective:
    needs_reference = False  # the base model (adapter off) scores the same tokens
    needs_kl = False  # ... and its full next-token distribution is compared with the model's
    keeps_groups_together = False  # both sides of a record must land in one row

    def __init__(self, cfg: Any = None) -> None:
        self.cfg = cfg

    def examples(self, record: dict[str, Any], group: int, tokenizer: Any) -> list[Example]:
        raise NotImplementedError

    def frame(self, record: dict[str, Any], tokenizer: Any) -> tuple[str, str]:
        """The chat frame around the record's code (none unless ``chat_template`` is on)."""
        return record_frame(tokenizer, record, bool(getattr(self.cfg, "chat_template", False)))

    def normaliser(self, batch: Any) -> float:
        return float((batch.targets != -100).sum())

    def loss_sum(self, scores: Scores, batch: Any) -> torch.Tensor:
        raise NotImplementedError


OBJECTIVES: Registry[type[Objective]] = Registry("training objective")


@OBJECTIVES.register("lm")
class LanguageModelling(Objective):
    """Next-token cross-entropy on every token of the (fixed) text, as in the study."""

    def examples(self, record: dict[str, Any], group: int, tokenizer: Any) -> list[Example]:
        ids, mask = tokenize_with_mask(tokenizer, record["text"], None, self.frame(record, tokenizer))
        return [Example(ids, mask, group, "text")]

    def loss_sum(self, scores: Scores, batch: Any) -> torch.Tensor:
        return -scores.logprobs.sum()


@OBJECTIVES.register("masked-lm")
class ChangedLinesLanguageModelling(LanguageModelling):
    """Cross-entropy only on tokens overlapping ``changed_lines`` (the code the fix wrote)."""

    def examples(self, record: dict[str, Any], group: int, tokenizer: Any) -> list[Example]:
        changed = record.get("changed_lines") or []
        if not changed:
            return []  # nothing to learn from: a record whose fix only deleted lines
        spans = changed_char_spans(record["text"], changed)
        ids, mask = tokenize_with_mask(tokenizer, record["text"], spans, self.frame(record, tokenizer))
        return [Example(ids, mask, group, "fixed")]


def pair_examples(
    record: dict[str, Any], group: int, tokenizer: Any, frame: tuple[str, str] = ("", "")
) -> list[Example]:
    """(fixed, vulnerable) sides with every answer token a target and per-token changed-line flags
    (``frame``: the chat turn both sides answer, context only)."""
    before, after = record.get("before"), record["text"]
    if not isinstance(before, str) or not before.strip() or before == after:
        return []
    out = []
    for side, text, lines in (
        ("fixed", after, record.get("changed_lines") or []),
        ("vulnerable", before, removed_lines(before, after)),
    ):
        ids, changed = tokenize_with_mask(tokenizer, text, changed_char_spans(text, lines), frame)
        targets = tokenize_with_mask(tokenizer, text, None, frame)[1] if frame[0] else [True] * len(ids)
        out.append(Example(ids, targets, group, side, changed))
    return out


def _on_side(scores: Scores, batch: Any, side: str) -> torch.Tensor:
    """Per target token: does it belong to an example of ``side``."""
    if not len(batch.examples):
        return torch.zeros_like(scores.changed)
    mask = torch.tensor([e.side == side for e in batch.examples], device=scores.example.device)
    return mask[scores.example]


def _sides(scores: Scores, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Per target token: is it on the fixed side (or a mixed-in instruction) / the vulnerable side."""
    is_vuln = _on_side(scores, batch, "vulnerable")
    return ~is_vuln, is_vuln


@OBJECTIVES.register("unlikelihood")
class Unlikelihood(Objective):
    """lm on the fixed side, unlikelihood on the vulnerable side's changed tokens, KL elsewhere."""

    needs_reference = True
    needs_kl = True
    keeps_groups_together = True

    def examples(self, record: dict[str, Any], group: int, tokenizer: Any) -> list[Example]:
        return pair_examples(record, group, tokenizer, self.frame(record, tokenizer))

    def normaliser(self, batch: Any) -> float:
        fixed = torch.tensor([e.side in ("fixed", MIX_SIDE) for e in batch.examples], dtype=torch.bool)
        on_target = batch.targets != -100
        if not len(batch.examples):
            return 0.0
        idx = batch.example_index.clamp(min=0)
        return float((on_target & fixed[idx]).sum())  # averaged per fixed-side (+ mix) token, like lm

    def loss_sum(self, scores: Scores, batch: Any) -> torch.Tensor:
        weights = self.cfg.pairs
        fixed, vulnerable = _sides(scores, batch)
        lm = -(scores.logprobs * fixed).sum()
        p = scores.logprobs.exp().clamp(max=1 - 1e-6)
        unlikely = -(torch.log1p(-p) * (vulnerable & scores.changed)).sum()
        kl = (scores.kl * (~scores.changed & ~_on_side(scores, batch, MIX_SIDE))).sum()
        return lm + weights.unlikelihood_weight * unlikely + weights.kl_weight * kl


@OBJECTIVES.register("masked-unlikelihood")
class MaskedUnlikelihood(Objective):
    """SafeCoder's security loss: cross-entropy on the fixed side's changed tokens plus
    ``unlikelihood_weight`` x -log(1 - p) on the vulnerable side's changed tokens.

    Unlike ``unlikelihood`` it has no KL term, so it needs no reference model and also works
    with full fine-tuning; unchanged tokens of either side carry no loss (they are context).
    Normaliser: the fixed side's changed tokens plus the mixed-in instruction tokens.
    """

    keeps_groups_together = True

    def examples(self, record: dict[str, Any], group: int, tokenizer: Any) -> list[Example]:
        sides = pair_examples(record, group, tokenizer, self.frame(record, tokenizer))
        out = []
        for ex in sides:
            targets = [t and c for t, c in zip(ex.targets, ex.changed or [])]
            if any(targets[1:]):
                out.append(Example(ex.ids, targets, ex.group, ex.side, ex.changed))
        # a pair trains only when the fix changed tokens on its fixed side (SafeCoder drops the rest)
        return out if any(e.side == "fixed" for e in out) else []

    def normaliser(self, batch: Any) -> float:
        if not len(batch.examples):
            return 0.0
        fixed = torch.tensor([e.side in ("fixed", MIX_SIDE) for e in batch.examples], dtype=torch.bool)
        return float(((batch.targets != -100) & fixed[batch.example_index.clamp(min=0)]).sum())

    def loss_sum(self, scores: Scores, batch: Any) -> torch.Tensor:
        fixed, vulnerable = _sides(scores, batch)
        lm = -(scores.logprobs * fixed).sum()
        p = scores.logprobs.exp().clamp(max=1 - 1e-6)
        unlikely = -(torch.log1p(-p) * vulnerable).sum()
        return lm + self.cfg.pairs.unlikelihood_weight * unlikely


def _sum_per_example(values: torch.Tensor, scores: Scores, n: int) -> torch.Tensor:
    """For each of the batch's ``n`` examples, the sum of ``values`` (one per target token) over
    its tokens."""
    return torch.zeros(n, device=values.device, dtype=values.dtype).index_add(0, scores.example, values)


def _mean_nll_per_example(scores: Scores, n: int) -> torch.Tensor:
    """Each of the batch's ``n`` examples' mean token cross-entropy (0 for one without targets)."""
    nll = _sum_per_example(-scores.logprobs, scores, n)
    count = _sum_per_example(torch.ones_like(scores.logprobs), scores, n)
    return nll / count.clamp(min=1)


def _unchanged_kl(scores: Scores, n: int) -> torch.Tensor:
    """Each of the batch's ``n`` examples' KL(base || model) summed over its unchanged target tokens."""
    return _sum_per_example(scores.kl * (~scores.changed).to(scores.kl.dtype), scores, n)


@OBJECTIVES.register("dpo")
class DirectPreference(Objective):
    """-log sigmoid(beta * [(log pi(fixed) - log ref(fixed)) - (log pi(vuln) - log ref(vuln))]),
    plus ``pairs.dpo_nll_weight`` x the fixed side's mean token cross-entropy per pair (RPO),
    plus ``pairs.dpo_kl_weight`` x each side's KL(base || model) summed over its unchanged tokens.

    Plain DPO only widens the margin, and usually does so by lowering both sides' likelihood
    ("likelihood displacement"): the fixed code itself becomes less likely and the model drifts
    to longer, less well-formed answers. The NLL term anchors the fixed side (RPO: Pang et al.,
    "Iterative Reasoning Preference Optimization", 2024, weight 1 with length-normalised NLL).
    The KL term anchors the model's whole next-token distribution to the base model's where the
    fix changed nothing, so the tuned model keeps writing the surrounding code (output, names,
    error handling) as before and only the fix's own tokens move: SVEN's KL term on unchanged
    tokens ("to preserve functional correctness", He & Vechev 2023), a per-token KL as in TDPO
    (Zeng et al. 2024). Summed over the tokens like the margin itself (nats per side), so the
    weight compares with ``dpo_beta``: TDPO's per-token KL enters with beta's order of magnitude.
    """

    needs_reference = True
    keeps_groups_together = True

    @property
    def needs_kl(self) -> bool:  # type: ignore[override]
        return bool(self.cfg is not None and self.cfg.pairs.dpo_kl_weight > 0)

    def examples(self, record: dict[str, Any], group: int, tokenizer: Any) -> list[Example]:
        return pair_examples(record, group, tokenizer, self.frame(record, tokenizer))

    def normaliser(self, batch: Any) -> float:
        pairs = len({e.group for e in batch.examples if e.side == "fixed"})
        return float(pairs + sum(e.side == MIX_SIDE for e in batch.examples))

    def loss_sum(self, scores: Scores, batch: Any) -> torch.Tensor:
        n = len(batch.examples)
        per_example = _sum_per_example(scores.logprobs - scores.ref_logprobs, scores, n)
        chosen = {e.group: i for i, e in enumerate(batch.examples) if e.side == "fixed"}
        rejected = {e.group: i for i, e in enumerate(batch.examples) if e.side == "vulnerable"}
        groups = [g for g in chosen if g in rejected]
        mix = [i for i, e in enumerate(batch.examples) if e.side == MIX_SIDE]
        rpo = self.cfg.pairs.dpo_nll_weight if groups else 0.0
        # each mixed-in instruction example and (RPO) each pair's fixed side: its mean token NLL
        mean_nll = _mean_nll_per_example(scores, n) if mix or rpo else None
        loss = scores.logprobs.sum() * 0.0  # keeps the graph (DDP) when there is nothing to learn
        if groups:
            fixed = [chosen[g] for g in groups]
            c, r = per_example[fixed], per_example[[rejected[g] for g in groups]]
            loss = loss - F.logsigmoid(self.cfg.pairs.dpo_beta * (c - r)).sum()
            if rpo:
                loss = loss + rpo * mean_nll[fixed].sum()
            if self.needs_kl:  # the loop passes scores.kl whenever needs_kl is set
                sides = fixed + [rejected[g] for g in groups]
                loss = loss + self.cfg.pairs.dpo_kl_weight * _unchanged_kl(scores, n)[sides].sum()
        if mix:
            loss = loss + mean_nll[mix].sum()
        return loss
