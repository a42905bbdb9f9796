"""The Triton kernels of the decode step's attention (imported only where Triton is installed).

Two kernels per layer, one online softmax (float32 running max, sum and weighted values;
Milakov & Gimelshein 2018, as in flash attention) carried from the first into the second:

- ``_prefix_attention``: one program per (prompt, kv head, block of query rows). The ``n`` rows
  of a prompt (times the query heads that share a kv head, GQA) attend to the prompt's keys as
  one matrix product on the tensor cores (``tl.dot``), so the shared keys are read once per
  prompt, not once per row. It writes each query's running max, sum and unnormalised output.
- ``_own_attention``: one program per (group of ``HEADS`` query heads, row): continues from those
  over the row's own generated keys ``0..t``, ``t`` read from a device tensor, so inside a CUDA
  graph the loop stops at the step's real length (no window of stale positions read and masked),
  and writes the output. Several heads per program keep more loads in flight (one head per
  program was bound by memory latency); ``OWN_LAUNCH`` comes from
  ``benchmarks/decode_attention_bench.py``'s sweep (docs/performance.md). Given the step's keys
  and values (``STORE``), it attends position ``t`` from them, not from the cache, and writes them
  into the cache at ``t``: this replaces two copy kernels per layer (the decoder's
  ``index_copy_``). Programs whose query heads share a kv head write the same values there, and
  none of them reads position ``t`` from the cache, so the order of their writes does not matter.
"""

from __future__ import annotations

import triton
import triton.language as tl


@triton.jit
def _prefix_attention(
    q_ptr, q_row_stride, q_head_stride,  # q [B, H, D] (any row/head strides, D contiguous)
    pk_ptr, pv_ptr, p_prompt_stride, p_head_stride, p_pos_stride,  # prefix k/v [U, Hkv, P, D]
    bias_ptr,  # [U, P] float32: 0 for a real prompt token, -inf for left padding
    m_ptr, l_ptr, acc_ptr,  # [B*H] max, [B*H] sum, [B*H, D] unnormalised output (float32)
    prefix_len, rows_per_prompt, heads, group, scale,
    HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_P: tl.constexpr, IEEE: tl.constexpr,
):  # fmt: skip
    u = tl.program_id(0).to(tl.int64)
    hk = tl.program_id(1)
    qm = tl.program_id(2) * BLOCK_M + tl.arange(0, BLOCK_M)  # query index within (prompt, kv head)
    valid = qm < rows_per_prompt * group
    row = u * rows_per_prompt + qm // group
    head = hk * group + qm % group
    d = tl.arange(0, HEAD_DIM)
    q_offs = row[:, None] * q_row_stride + head[:, None] * q_head_stride + d[None, :]
    q = tl.load(q_ptr + q_offs, mask=valid[:, None], other=0.0)
    m = tl.full([BLOCK_M], float("-inf"), tl.float32)
    total = tl.zeros([BLOCK_M], tl.float32)
    acc = tl.zeros([BLOCK_M, HEAD_DIM], tl.float32)
    p_base = u * p_prompt_stride + hk * p_head_stride
    for start in range(0, prefix_len, BLOCK_P):
        pos = start + tl.arange(0, BLOCK_P)
        inside = pos < prefix_len
        kv_offs = p_base + pos[:, None] * p_pos_stride + d[None, :]
        k = tl.load(pk_ptr + kv_offs, mask=inside[:, None], other=0.0)
        if IEEE:  # float32 keys: full-precision products, not TF32
            s = tl.dot(q, tl.trans(k), input_precision="ieee") * scale
        else:  # bf16/fp16 keys: tensor-core products, float32 sums
            s = tl.dot(q, tl.trans(k)) * scale  # [BLOCK_M, BLOCK_P]
        s += tl.load(bias_ptr + u * prefix_len + pos, mask=inside, other=float("-inf"))[None, :]
        m_new = tl.maximum(m, tl.max(s, axis=1))
        m_safe = tl.where(m_new == float("-inf"), 0.0, m_new)  # a block of only padding so far
        alpha = tl.exp(m - m_safe)
        w = tl.exp(s - m_safe[:, None])
        v = tl.load(pv_ptr + kv_offs, mask=inside[:, None], other=0.0)
        if IEEE:
            acc = acc * alpha[:, None] + tl.dot(w, v, input_precision="ieee")
        else:  # weights rounded to the values' dtype, as the batched-matmul path does
            acc = acc * alpha[:, None] + tl.dot(w.to(v.dtype), v)
        total = total * alpha + tl.sum(w, axis=1)
        m = m_new
    out = row * heads + head
    tl.store(m_ptr + out, m, mask=valid)
    tl.store(l_ptr + out, total, mask=valid)
    tl.store(acc_ptr + out[:, None] * HEAD_DIM + d[None, :], acc, mask=valid[:, None])


@triton.jit
def _own_attention(
    q_ptr, q_row_stride, q_head_stride,
    ok_ptr, ov_ptr, o_row_stride, o_head_stride, o_pos_stride,  # own k/v [B, Hkv, T, D]
    t_ptr,  # [1] int64: the own position written this step (keys 0..t are attended)
    sk_ptr, sv_ptr, s_row_stride, s_head_stride,  # the step's k/v [B, Hkv, 1, D] (read if STORE)
    m_ptr, l_ptr, acc_ptr,  # the prefix kernel's running softmax state
    out_ptr, out_row_stride,  # [B, H*D]
    heads, group, scale,
    HEAD_DIM: tl.constexpr, BLOCK_T: tl.constexpr, HEADS: tl.constexpr, STORE: tl.constexpr,
):  # fmt: skip
    # HEADS query heads of one row per program: more loads in flight per program (the kernel is
    # bound by memory latency at short own lengths, not by bandwidth)
    h = tl.program_id(0) * HEADS + tl.arange(0, HEADS)  # [HEADS]
    b = tl.program_id(1).to(tl.int64)
    hk = h // group
    d = tl.arange(0, HEAD_DIM)
    q = tl.load(q_ptr + b * q_row_stride + h[:, None] * q_head_stride + d[None, :]).to(tl.float32) * scale
    state = b * heads + h
    m = tl.load(m_ptr + state)
    total = tl.load(l_ptr + state)
    acc = tl.load(acc_ptr + state[:, None] * HEAD_DIM + d[None, :])  # [HEADS, D]
    t = tl.load(t_ptr)
    o_base = b * o_row_stride + hk * o_head_stride  # [HEADS]
    if STORE:  # position t comes from the step's k/v (below), not from the cache
        end = t
    else:
        end = t + 1
    for start in range(0, end, BLOCK_T):
        pos = start + tl.arange(0, BLOCK_T)
        inside = pos < end
        offs = o_base[:, None, None] + pos[None, :, None] * o_pos_stride + d[None, None, :]
        k = tl.load(ok_ptr + offs, mask=inside[None, :, None], other=0.0).to(tl.float32)
        v = tl.load(ov_ptr + offs, mask=inside[None, :, None], other=0.0).to(tl.float32)
        s = tl.where(inside[None, :], tl.sum(k * q[:, None, :], axis=2), float("-inf"))  # [HEADS, BLOCK_T]
        m_new = tl.maximum(m, tl.max(s, axis=1))  # finite: position `start` < end is inside
        alpha = tl.exp(m - m_new)
        w = tl.exp(s - m_new[:, None])
        acc = acc * alpha[:, None] + tl.sum(w[:, :, None] * v, axis=1)
        total = total * alpha + tl.sum(w, axis=1)
        m = m_new
    if STORE:
        step_offs = b * s_row_stride + hk[:, None] * s_head_stride + d[None, :]  # [HEADS, D]
        k = tl.load(sk_ptr + step_offs)
        v = tl.load(sv_ptr + step_offs)
        cache_offs = o_base[:, None] + t * o_pos_stride + d[None, :]
        tl.store(ok_ptr + cache_offs, k)
        tl.store(ov_ptr + cache_offs, v)
        s = tl.sum(k.to(tl.float32) * q, axis=1)  # [HEADS]
        m_new = tl.maximum(m, s)
        alpha = tl.exp(m - m_new)
        w = tl.exp(s - m_new)
        acc = acc * alpha[:, None] + w[:, None] * v.to(tl.float32)
        total = total * alpha + w
    out = acc / total[:, None]
    tl.store(
        out_ptr + b * out_row_stride + h[:, None] * HEAD_DIM + d[None, :], out.to(out_ptr.dtype.element_ty)
    )


# launch settings of the own-key kernel: (query heads per program, own positions per block, warps)
OWN_LAUNCH = (8, 8, 2)


def prefix_own_attention(
    q, prefix_k, prefix_v, prefix_bias, own_k, own_v, t, rows_per_prompt: int, scale: float, own_launch=None,
    step_k=None, step_v=None,
):  # fmt: skip
    """``q`` ``[B, H, 1, D]`` -> ``[B, H*D]`` (q's dtype). Shapes as in ``PrefixSharedDecoder``'s
    cache: prefix k/v ``[U, Hkv, P, D]``, ``prefix_bias`` ``[U, ..., P]`` float32 contiguous,
    own k/v ``[B, Hkv, T, D]``, ``t`` ``[1]`` long. ``own_launch``: (heads per program, block,
    warps) of the own-key kernel instead of :data:`OWN_LAUNCH` (benchmarks/decode_attention_bench.py).
    ``step_k``/``step_v`` ``[B, Hkv, 1, D]``: this step's keys and values, attended at ``t`` and
    written into the own cache there; None reads position ``t`` from the cache."""
    import torch

    b, heads, _, dim = q.shape
    prompts, kv_heads, prefix_len = prefix_k.shape[0], prefix_k.shape[1], prefix_k.shape[2]
    group = heads // kv_heads
    for tensor in (prefix_k, prefix_v, own_k, own_v):
        assert tensor.stride(-1) == 1, "keys/values need a contiguous head dimension"
    assert q.stride(-1) == 1 and prefix_bias.is_contiguous()
    assert prefix_k.stride() == prefix_v.stride() and own_k.stride() == own_v.stride()
    m = torch.empty(b * heads, dtype=torch.float32, device=q.device)
    total = torch.empty_like(m)
    acc = torch.empty(b * heads, dim, dtype=torch.float32, device=q.device)
    queries = rows_per_prompt * group  # query vectors per (prompt, kv head)
    block_m = 16 if queries <= 16 else 32 if queries <= 32 else 64
    _prefix_attention[(prompts, kv_heads, triton.cdiv(queries, block_m))](
        q, q.stride(0), q.stride(1),
        prefix_k, prefix_v, prefix_k.stride(0), prefix_k.stride(1), prefix_k.stride(2),
        prefix_bias, m, total, acc,
        prefix_len, rows_per_prompt, heads, group, scale,
        HEAD_DIM=dim, BLOCK_M=block_m, BLOCK_P=32, IEEE=q.dtype == torch.float32,
        num_warps=4,
    )  # fmt: skip
    out = torch.empty(b, heads * dim, dtype=q.dtype, device=q.device)
    per_program, block_t, warps = own_launch or OWN_LAUNCH
    while heads % per_program:  # a head count the setting does not divide: fewer per program
        per_program //= 2
    store = step_k is not None
    if store:
        if step_k.stride(-1) != 1 or step_k.stride() != step_v.stride():  # one layout for both, D contiguous
            step_k, step_v = step_k.contiguous(), step_v.contiguous()
    else:  # not read: any tensor with the cache's dtype fills the pointer arguments
        step_k = step_v = own_k
    _own_attention[(heads // per_program, b)](
        q, q.stride(0), q.stride(1),
        own_k, own_v, own_k.stride(0), own_k.stride(1), own_k.stride(2),
        t, step_k, step_v, step_k.stride(0), step_k.stride(1),
        m, total, acc,
        out, out.stride(0),
        heads, group, scale,
        HEAD_DIM=dim, BLOCK_T=block_t, HEADS=per_program, STORE=store,
        num_warps=warps,
    )  # fmt: skip
    return out
