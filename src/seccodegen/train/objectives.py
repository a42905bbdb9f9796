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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from seccodegen.registry import Registry
from seccodegen.train.data import Example, changed_char_spans, removed_lines, tokenize_with_mask


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

    def normaliser(self, batch: Any) -> float:
        return float((batch.targets != -100).sum())

    def loss_sum(self, scores: Scores, batch: Any) -> torch.Tensor:
        raise NotImplementedError


OBJECTIVES: Registry[type[Objective]] = Registry("training objective")


@OBJECTIVES.register("lm")
class LanguageModelling(Objective):
    """Next-token cross-entropy on every token of the (fixed) text, as in the study."""

    def examples(self, record: dict[str, Any], group: int, tokenizer: Any) -> list[Example]:
        ids, mask = tokenize_with_mask(tokenizer, record["text"], None)
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
        ids, mask = tokenize_with_mask(tokenizer, record["text"], spans)
        return [Example(ids, mask, group, "fixed")]


def pair_examples(record: dict[str, Any], group: int, tokenizer: Any) -> list[Example]:
    """(fixed, vulnerable) sides with every token a target and per-token changed-line flags."""
    before, after = record.get("before"), record["text"]
    if not isinstance(before, str) or not before.strip() or before == after:
        return []
    out = []
    for side, text, lines in (
        ("fixed", after, record.get("changed_lines") or []),
        ("vulnerable", before, removed_lines(before, after)),
    ):
        ids, changed = tokenize_with_mask(tokenizer, text, changed_char_spans(text, lines))
        out.append(Example(ids, [True] * len(ids), group, side, changed))
    return out


def _sides(scores: Scores, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Per target token: is it on the fixed side / the vulnerable side."""
    vulnerable = torch.tensor([e.side == "vulnerable" for e in batch.examples], device=scores.example.device)
    is_vuln = vulnerable[scores.example] if len(batch.examples) else torch.zeros_like(scores.changed)
    return ~is_vuln, is_vuln


@OBJECTIVES.register("unlikelihood")
class Unlikelihood(Objective):
    """lm on the fixed side, unlikelihood on the vulnerable side's changed tokens, KL elsewhere."""

    needs_reference = True
    needs_kl = True
    keeps_groups_together = True

    def examples(self, record: dict[str, Any], group: int, tokenizer: Any) -> list[Example]:
        return pair_examples(record, group, tokenizer)

    def normaliser(self, batch: Any) -> float:
        fixed = torch.tensor([e.side == "fixed" for e in batch.examples], dtype=torch.bool)
        on_target = batch.targets != -100
        if not len(batch.examples):
            return 0.0
        idx = batch.example_index.clamp(min=0)
        return float((on_target & fixed[idx]).sum())  # averaged per fixed-side token, like lm

    def loss_sum(self, scores: Scores, batch: Any) -> torch.Tensor:
        weights = self.cfg.pairs
        fixed, vulnerable = _sides(scores, batch)
        lm = -(scores.logprobs * fixed).sum()
        p = scores.logprobs.exp().clamp(max=1 - 1e-6)
        unlikely = -(torch.log1p(-p) * (vulnerable & scores.changed)).sum()
        kl = (scores.kl * ~scores.changed).sum()
        return lm + weights.unlikelihood_weight * unlikely + weights.kl_weight * kl


@OBJECTIVES.register("dpo")
class DirectPreference(Objective):
    """-log sigmoid(beta * [(log pi(fixed) - log ref(fixed)) - (log pi(vuln) - log ref(vuln))])."""

    needs_reference = True
    keeps_groups_together = True

    def examples(self, record: dict[str, Any], group: int, tokenizer: Any) -> list[Example]:
        return pair_examples(record, group, tokenizer)

    def normaliser(self, batch: Any) -> float:
        return float(len({e.group for e in batch.examples if e.side == "fixed"}))

    def loss_sum(self, scores: Scores, batch: Any) -> torch.Tensor:
        n = len(batch.examples)
        ratio = scores.logprobs - scores.ref_logprobs
        per_example = torch.zeros(n, device=ratio.device, dtype=ratio.dtype).index_add(
            0, scores.example, ratio
        )
        chosen = {e.group: i for i, e in enumerate(batch.examples) if e.side == "fixed"}
        rejected = {e.group: i for i, e in enumerate(batch.examples) if e.side == "vulnerable"}
        groups = [g for g in chosen if g in rejected]
        if not groups:
            return scores.logprobs.sum() * 0.0  # keeps the graph (DDP) with nothing to learn
        c = per_example[[chosen[g] for g in groups]]
        r = per_example[[rejected[g] for g in groups]]
        return -F.logsigmoid(self.cfg.pairs.dpo_beta * (c - r)).sum()
