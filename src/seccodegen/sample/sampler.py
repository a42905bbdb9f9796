"""Temperature + top-p sampling (one sort per step, or a Triton kernel without one) with
per-sequence random streams.

The filter is HF's ``TemperatureLogitsWarper`` followed by ``TopPLogitsWarper`` (same ops in
the same order: ascending sort, softmax, cumulative sum, drop tokens whose cumulative mass is
``<= 1 - top_p``, always keep the most likely one), so the distribution sampled from is the
one ``generate(do_sample=True)`` samples from. Instead of scattering the filtered logits back
to vocabulary order and calling ``multinomial`` (HF), we draw by inverse CDF on the sorted
probabilities: one ``searchsorted`` per row. That keeps one sort as the only non-trivial op.
On a GPU the sort still costs about a tenth of a decode step; ``KernelSampler``
(``top_p_kernel.py``, option ``sampling_kernel``) keeps the same tokens without sorting and draws
in vocabulary order; ``sampler_for`` picks between the two.

Each sequence owns a random stream: a numpy Philox generator seeded by its row seed yields
one uniform per generated token. A sequence's tokens therefore depend only on its seed and its
logits, never on which other sequences share the batch, the batch size or a resume.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from seccodegen.sample.kernel_choice import kernel_or_torch, triton_missing


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


class SortSampler:
    """``sample_top_p``: one sort per row and step (PyTorch; any device)."""

    name = "sort (PyTorch)"

    def __call__(self, logits, temperature: float, top_p: float, uniforms):
        return sample_top_p(logits, temperature, top_p, uniforms)


class KernelSampler:
    """``top_p_kernel.top_p_sample``: the same nucleus without a sort, one Triton program per row."""

    name = "Triton kernel (no sort)"

    def __init__(self, launch: tuple[int, int, int] | None = None) -> None:
        from seccodegen.sample.top_p_kernel import top_p_sample

        self._kernel, self.launch = top_p_sample, launch

    def __call__(self, logits, temperature: float, top_p: float, uniforms):
        if temperature == 0:
            return logits.argmax(dim=-1)
        return self._kernel(logits, temperature, top_p, uniforms, launch=self.launch)


def vocab_order_reference(logits, temperature: float, top_p: float, uniforms, margin: float = 1e-5):
    """What ``KernelSampler`` draws, in float64 torch: ``(tokens, ambiguous)``. A row is
    ambiguous when a cumulative mass lies within ``margin`` of the top-p cut or of the draw's
    target, where float32 rounding may decide otherwise (tests compare the other rows exactly)."""
    import torch

    probs = (logits.double() / temperature).softmax(dim=-1)
    ascending, order = probs.sort(dim=-1)
    cumulative = ascending.cumsum(dim=-1)
    kept_sorted = cumulative > (1 - top_p)
    kept_sorted[..., -1] = True
    kept = torch.zeros_like(kept_sorted).scatter_(-1, order, kept_sorted)
    cdf = (probs * kept).cumsum(dim=-1)
    target = (uniforms.double() * cdf[:, -1]).unsqueeze(-1)
    tokens = torch.searchsorted(cdf, target, right=True).squeeze(-1).clamp_(max=cdf.shape[-1] - 1)
    near_cut = ((cumulative - (1 - top_p)).abs() < margin).any(dim=-1)
    near_draw = ((cdf - target).abs() < margin).any(dim=-1)
    return tokens, near_cut | near_draw


def sampler_self_check(sampler, device, rows: int = 64, vocab: int = 5000) -> str | None:
    """None if ``sampler`` draws what ``vocab_order_reference`` draws on random rows (flat and
    peaked, a vocabulary that is not a multiple of the kernel's block), else why not."""
    import torch

    gen = torch.Generator(device="cpu").manual_seed(0)
    for scale, top_p in ((3.0, 0.9), (12.0, 0.95), (1.0, 1.0)):
        logits = (torch.randn(rows, vocab, generator=gen) * scale).to(device)
        uniforms = torch.rand(rows, generator=gen, dtype=torch.float64).to(device)
        want, ambiguous = vocab_order_reference(logits, 0.8, top_p, uniforms)
        got = sampler(logits, 0.8, top_p, uniforms)
        differ = int(((got != want) & ~ambiguous).sum())
        if differ:
            return f"it draws other tokens than the reference in {differ} of {rows} rows (top_p {top_p})"
    return None


def sampler_for(device, choice: str = "auto"):
    """The sampler for logits on ``device``: ``KernelSampler`` or ``SortSampler``.

    ``choice``: ``auto`` (the kernel on a GPU when Triton is there and it passes its check),
    ``triton`` (required: a one-line error if it cannot run), ``torch``.
    """
    return kernel_or_torch(
        "sampling_kernel", choice, triton_missing(device), KernelSampler,
        lambda sampler: sampler_self_check(sampler, device), SortSampler(), "Triton sampling kernel",
    )  # fmt: skip
