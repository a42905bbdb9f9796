"""Temperature + top-p sampling as one Triton kernel: no sort (imported only where Triton is).

``sampler.sample_top_p`` sorts every row of the vocabulary at every decode step (HF's
``TopPLogitsWarper`` does the same): on a GPU at ~1,000 rows x 32k tokens that sort, its cumulative
sums and softmaxes take ~4 ms a step, about a tenth of a 7B model's decode step. This kernel finds
the same nucleus without sorting, one program per row:

1. the softmax's maximum and normaliser (one pass over the row's logits);
2. the nucleus threshold ``tau``: the smallest probability ``v`` whose mass at or below it,
   ``G(v) = sum(p_j for p_j <= v)``, exceeds ``1 - top_p``. A token is kept iff ``p_i >= tau``,
   which is HF's rule (drop a token when the ascending cumulative mass up to it is
   ``<= 1 - top_p``) read without the sort. ``tau`` is searched over the bit patterns of positive
   float32 (ordered as integers), ``WAYS`` candidates per pass (about ten passes at 8). The most
   likely token always stays (HF's ``min_tokens_to_keep=1``);
3. the kept mass, then the inverse CDF at ``u * mass`` over the kept tokens in vocabulary order.

Same distribution as the sort path, not the same draws: the sort path walks the CDF in ascending
probability order, this kernel in vocabulary order, so a seed's texts differ between the two
(``sampling_kernel: torch`` repeats samples made before the kernel). Tokens tied in probability
exactly at the threshold are all kept (the sort keeps some of them). The float32 sums run in a
fixed order, so the kernel gives the same tokens for the same logits every time.
Why our own kernel: FlashInfer's sorting-free sampling has no wheel that fits a GPU machine without
network access, and PyTorch has no top-p primitive but the sort.
"""

from __future__ import annotations

import triton
import triton.language as tl


@triton.jit
def _block_scores(base, start, offs, vocab, temperature):
    """One block of a row's logits over the temperature, float32; padding lanes -inf."""
    x = tl.load(base + start + offs, mask=start + offs < vocab, other=float("-inf")).to(tl.float32)
    return x / temperature


@triton.jit
def _block_kept(base, start, offs, vocab, temperature, m, s, tau):
    """One block's probabilities where at least ``tau`` (float32 bits), else 0; padding lanes 0."""
    p = tl.exp(_block_scores(base, start, offs, vocab, temperature) - m) / s
    return tl.where(p.to(tl.int32, bitcast=True) >= tau, p, 0.0)


@triton.jit
def _top_p_sample(
    logits_ptr, row_stride, vocab,
    u_ptr,  # [rows] uniforms in [0, 1)
    out_ptr,  # [rows] int64 token ids
    temperature, cut,  # cut = 1 - top_p
    BLOCK: tl.constexpr, WAYS: tl.constexpr,
):  # fmt: skip
    row = tl.program_id(0).to(tl.int64)
    base = logits_ptr + row * row_stride
    offs = tl.arange(0, BLOCK)
    # 1. softmax maximum and normaliser, online in one pass (block 0 holds a real token: m finite)
    m = float("-inf")
    s = 0.0
    for start in range(0, vocab, BLOCK):
        x = _block_scores(base, start, offs, vocab, temperature)
        m_new = tl.maximum(m, tl.max(x, axis=0))
        s = s * tl.exp(m - m_new) + tl.sum(tl.exp(x - m_new), axis=0)
        m = m_new
    # 2. tau in (lo, hi] as float32 bit patterns; hi = the most likely token's probability, kept always
    lo = -1
    hi = (1.0 / s).to(tl.int32, bitcast=True)
    k = tl.arange(0, WAYS)
    while hi - lo > 1:
        step = (hi - lo + WAYS - 1) // WAYS
        cand = tl.minimum(lo + (k + 1) * step, hi)  # [WAYS], increasing, the last ones may equal hi
        g = tl.zeros((WAYS,), dtype=tl.float32)
        for start in range(0, vocab, BLOCK):
            p = tl.exp(_block_scores(base, start, offs, vocab, temperature) - m) / s  # padding lanes: 0
            below = p.to(tl.int32, bitcast=True)[None, :] <= cand[:, None]
            g += tl.sum(tl.where(below, p[None, :], 0.0), axis=1)
        ok = (g > cut) | (cand >= hi)
        first = tl.min(tl.where(ok, k, WAYS), axis=0)
        new_hi = tl.sum(tl.where(k == first, cand, 0), axis=0)
        lo = tl.where(first == 0, lo, tl.sum(tl.where(k == first - 1, cand, 0), axis=0))
        hi = new_hi
    # 3. kept mass, then the first kept token whose cumulative mass (vocabulary order) exceeds u * mass
    total = 0.0
    for start in range(0, vocab, BLOCK):
        total += tl.sum(_block_kept(base, start, offs, vocab, temperature, m, s, hi), axis=0)
    target = tl.load(u_ptr + row).to(tl.float32) * total
    carry = 0.0
    found = vocab
    last = -1
    for start in range(0, vocab, BLOCK):
        w = _block_kept(base, start, offs, vocab, temperature, m, s, hi)
        hit = ((carry + tl.cumsum(w, axis=0)) > target) & (w > 0)
        found = tl.minimum(found, tl.min(tl.where(hit, start + offs, vocab), axis=0))
        last = tl.maximum(last, tl.max(tl.where(w > 0, start + offs, -1), axis=0))
        carry += tl.sum(w, axis=0)
    # u * mass can round to past the last cumulative sum: then the last kept token; a row of NaN or
    # all -inf logits (a broken model) keeps nothing: token 0, never an id outside the vocabulary
    tl.store(out_ptr + row, tl.where(found < vocab, found, tl.maximum(last, 0)).to(tl.int64))


# launch setting: vocabulary positions per block, candidate thresholds per pass, warps
LAUNCH = (2048, 8, 4)


def top_p_sample(logits, temperature: float, top_p: float, uniforms, launch=None):
    """``logits`` ``[rows, vocab]`` (any float dtype), ``uniforms`` ``[rows]`` -> ``[rows]`` int64.
    ``temperature`` > 0. ``launch``: (block, ways, warps) instead of :data:`LAUNCH`."""
    import torch

    if logits.stride(-1) != 1:
        logits = logits.contiguous()
    rows, vocab = logits.shape
    out = torch.empty(rows, dtype=torch.long, device=logits.device)
    block, ways, warps = launch or LAUNCH
    _top_p_sample[(rows,)](
        logits, logits.stride(0), vocab, uniforms, out, float(temperature), float(1.0 - top_p),
        BLOCK=block, WAYS=ways, num_warps=warps,
    )  # fmt: skip
    return out
