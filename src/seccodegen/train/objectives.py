"""Training objectives by name. An objective decides which tokens are targets and how their
log-probabilities become a loss.

Interface (pair objectives of issue 11 plug in the same way):

* ``examples(record, group, tokenizer)`` -> tokenized :class:`Example` s of one dataset record
  (a pair objective returns the ``fixed`` and the ``vulnerable`` side, both with ``group``);
* ``normaliser(batch)`` -> how many units the batch's loss sums over (target tokens, pairs, ...);
  the loop divides every micro-batch's loss sum by the optimizer step's total, across
  micro-batches and processes, so gradient accumulation and DDP give the same gradient;
* ``loss_sum(logprobs, token_example, batch, reference)`` -> the summed loss, where
  ``logprobs`` are the model's log-probabilities of the target tokens in row-major order,
  ``token_example`` the example index of each, and ``reference`` the same for a frozen
  reference model when ``needs_reference`` is set (else None).

Registered here: ``lm`` (the study: every token of the fixed text) and ``masked-lm``
(SafeCoder-style: only tokens of the lines the fix added or changed).
"""

from __future__ import annotations

from typing import Any

from seccodegen.registry import Registry
from seccodegen.train.data import Example, changed_char_spans, tokenize_with_mask


class Objective:
    name = ""
    needs_reference = False  # a frozen copy of the base model scores the same tokens
    keeps_groups_together = False  # both sides of a record must land in one batch

    def examples(self, record: dict[str, Any], group: int, tokenizer: Any) -> list[Example]:
        raise NotImplementedError

    def normaliser(self, batch: Any) -> float:
        return float((batch.targets != -100).sum())

    def loss_sum(self, logprobs: Any, token_example: Any, batch: Any, reference: Any = None) -> Any:
        raise NotImplementedError


OBJECTIVES: Registry[Objective] = Registry("training objective")


class LanguageModelling(Objective):
    """Next-token cross-entropy on every token of the (fixed) text, as in the study."""

    name = "lm"

    def examples(self, record: dict[str, Any], group: int, tokenizer: Any) -> list[Example]:
        ids, mask = tokenize_with_mask(tokenizer, record["text"], None)
        return [Example(ids, mask, group, "text")]

    def loss_sum(self, logprobs: Any, token_example: Any, batch: Any, reference: Any = None) -> Any:
        return -logprobs.sum()


class ChangedLinesLanguageModelling(LanguageModelling):
    """Cross-entropy only on tokens overlapping ``changed_lines`` (the code the fix wrote)."""

    name = "masked-lm"

    def examples(self, record: dict[str, Any], group: int, tokenizer: Any) -> list[Example]:
        changed = record.get("changed_lines") or []
        if not changed:
            return []  # nothing to learn from: a record whose fix only deleted lines
        spans = changed_char_spans(record["text"], changed)
        ids, mask = tokenize_with_mask(tokenizer, record["text"], spans)
        return [Example(ids, mask, group, "fixed")]


OBJECTIVES.register("lm", LanguageModelling())
OBJECTIVES.register("masked-lm", ChangedLinesLanguageModelling())
