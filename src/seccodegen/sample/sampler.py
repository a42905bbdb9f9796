"""Temperature + top-p sampling with one sort per step and per-sequence random streams.

The filter is HF's ``TemperatureLogitsWarper`` followed by ``TopPLogitsWarper`` (same ops in
the same order: ascending sort, softmax, cumulative sum, drop tokens whose cumulative mass is
``<= 1 - top_p``, always keep the most likely one), so the distribution sampled from is the
one ``generate(do_sample=True)`` samples from. Instead of scattering the filtered logits back
to vocabulary order and calling ``multinomial`` (HF), we draw by inverse CDF on the sorted
probabilities: one ``searchsorted`` per row. That keeps one sort as the only non-trivial op.

Each sequence owns a random stream: a numpy Philox generator seeded by its row seed yields
one uniform per generated token. A sequence's tokens therefore depend only on its seed and its
logits, never on which other sequences share the batch, the batch size or a resume.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np


def derive_seed(*parts: object) -> int:
    """A 63-bit seed from any parts (stable across runs and machines; sha256, not hash())."""
    blob = "\0".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "little") >> 1


def row_uniforms(row_seeds: Sequence[int], steps: int):
    """``[rows, steps]`` float64 uniforms in [0, 1): row i's draws come from Philox(row_seeds[i])."""
    import torch

    table = np.empty((len(row_seeds), steps), dtype=np.float64)
    for i, seed in enumerate(row_seeds):
        table[i] = np.random.Generator(np.random.Philox(int(seed))).random(steps)
    return torch.from_numpy(table)


def top_p_filter(logits, temperature: float, top_p: float):
    """HF-equivalent filter. Returns ``(sorted_logits, sorted_idx, removed)`` in ascending order.

    ``logits``: ``[rows, vocab]``; computed in float32. ``removed`` marks sorted positions the
    top-p filter drops (HF sets those logits to -inf).
    """
    import torch

    scores = logits.float()
    if temperature != 1.0:
        scores = scores / temperature
    sorted_logits, sorted_idx = torch.sort(scores, descending=False, dim=-1)
    cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    removed = cumulative <= (1 - top_p)
    removed[..., -1] = False  # min_tokens_to_keep = 1: the most likely token always stays
    return sorted_logits, sorted_idx, removed


def sample_top_p(logits, temperature: float, top_p: float, uniforms):
    """Draw one token per row from the temperature + top-p distribution.

    ``uniforms``: ``[rows]`` in [0, 1) (float64 or float32, same device as logits).
    ``temperature == 0`` means greedy (argmax).
    """
    import torch

    if temperature == 0:
        return logits.argmax(dim=-1)
    sorted_logits, sorted_idx, removed = top_p_filter(logits, temperature, top_p)
    kept = sorted_logits.masked_fill(removed, float("-inf")).softmax(dim=-1)
    cdf = kept.cumsum(dim=-1)
    # u scaled by the row's total mass (1 up to rounding) so it can never run past the end
    target = (uniforms.to(cdf.dtype) * cdf[:, -1]).unsqueeze(-1)
    pos = torch.searchsorted(cdf, target, right=True).clamp_(max=cdf.shape[-1] - 1)
    # zero-probability positions have cdf equal to the previous one, so right=True skips them
    return sorted_idx.gather(-1, pos).squeeze(-1)
