"""One matrix multiply for Q, K and V and one for gate and up in the decode step (GPU, Triton).

A decode step at 800-2,000 rows spends about 70% of its time in the weight matrix multiplies,
and at that row count a ``[rows, 4096] x [4096, 4096]`` product does not fill an H100/H200 as
well as one three times as wide: cuBLAS runs the one wide product closer to the GPU's peak than
three narrow ones, and pays one launch instead of three. So each layer's Q, K and V weights are
concatenated into one ``[(H + 2K) * D, hidden]`` matrix and the MLP's gate and up into one
``[2 * I, hidden]`` matrix (the layout vLLM's ``QKVParallelLinear`` and
``MergedColumnParallelLinear`` use); the model's own ``q_proj``/``k_proj``/``v_proj``/
``gate_proj``/``up_proj`` weights become row slices of them, so the weights are not stored twice
and the prefill, which runs the model's modules, reads the same numbers.

The products' outputs are then read in place by two small Triton kernels, written here because
the existing ones (liger-kernel's RoPE and SwiGLU) need each input contiguous on its own, which
would cost a copy of Q and K per layer and undo part of the gain:

* ``_rope_store_kernel``: RoPE on Q and K straight from the fused output, Q to a fresh buffer
  and K, with V unrotated, into the static KV cache at step ``t`` (read from a device tensor, so
  one CUDA graph serves every step); this also replaces the two ``index_copy_`` launches per
  layer that wrote K and V (3% of a step). The rotation runs in float32, rounded once.
* ``_silu_mul_kernel``: ``silu(gate) * up`` from the two halves of the fused output, with
  liger-kernel's arithmetic (SiLU in float32, rounded to the activations' dtype, times up).

Before first use :func:`projection_self_check` runs one layer both ways on a few rows; a kernel
that fails or disagrees is not used (the caller warns and decodes without it).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
import triton
import triton.language as tl

from seccodegen.sample.kernel_choice import error_line

SILU_BLOCK = 1024  # columns of the MLP's intermediate size per program


@triton.jit
def _rope_store_kernel(qkv, qkv_row, cos, sin, cs_row, q_out, k_cache, v_cache, c_row, c_head, c_pos, t_ptr,
                       N_Q: tl.constexpr, N_KV: tl.constexpr, D: tl.constexpr, HALF: tl.constexpr,
                       HALF_P: tl.constexpr):  # fmt: skip
    """Program (row, head): heads < N_Q are query heads, the rest key/value heads."""
    row = tl.program_id(0).to(tl.int64)
    head = tl.program_id(1)
    offs = tl.arange(0, HALF_P)
    m = offs < HALF
    c = tl.load(cos + row * cs_row + offs, mask=m, other=0.0).to(tl.float32)  # halves repeat: read one
    s = tl.load(sin + row * cs_row + offs, mask=m, other=0.0).to(tl.float32)
    src = qkv + row * qkv_row + head * D
    x1 = tl.load(src + offs, mask=m, other=0.0).to(tl.float32)
    x2 = tl.load(src + HALF + offs, mask=m, other=0.0).to(tl.float32)
    y1 = x1 * c - x2 * s  # x * cos + rotate_half(x) * sin, rotate_half(x) = (-x2, x1)
    y2 = x2 * c + x1 * s
    if head < N_Q:
        dst = q_out + row * (N_Q * D) + head * D
    else:
        kv = head - N_Q
        pos = tl.load(t_ptr)
        dst = k_cache + row * c_row + kv * c_head + pos * c_pos
        v_src = qkv + row * qkv_row + (N_Q + N_KV + kv) * D
        v_dst = v_cache + row * c_row + kv * c_head + pos * c_pos
        tl.store(v_dst + offs, tl.load(v_src + offs, mask=m), mask=m)
        tl.store(v_dst + HALF + offs, tl.load(v_src + HALF + offs, mask=m), mask=m)
    tl.store(dst + offs, y1.to(dst.dtype.element_ty), mask=m)
    tl.store(dst + HALF + offs, y2.to(dst.dtype.element_ty), mask=m)


@triton.jit
def _silu_mul_kernel(gu, gu_row, out, inner, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    m = cols < inner
    g = tl.load(gu + row * gu_row + cols, mask=m, other=0.0).to(tl.float32)
    u = tl.load(gu + row * gu_row + inner + cols, mask=m, other=0.0)
    tl.store(out + row * inner + cols, (g * tl.sigmoid(g)).to(u.dtype) * u, mask=m)


def _fuse(modules: list[Any]) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Concatenate the Linear modules' weights (and biases) by rows; the modules keep views."""
    weight = torch.cat([m.weight for m in modules])
    biases = [m.bias for m in modules]
    bias = None
    if any(b is not None for b in biases):
        bias = torch.cat([b if b is not None else weight.new_zeros(m.weight.shape[0])
                          for m, b in zip(modules, biases)])  # fmt: skip
    start = 0
    for m in modules:
        rows = m.weight.shape[0]
        m.weight = torch.nn.Parameter(weight[start : start + rows], requires_grad=False)
        if bias is not None and m.bias is not None:
            m.bias = torch.nn.Parameter(bias[start : start + rows], requires_grad=False)
        start += rows
    return weight, bias


def fusable(model: Any) -> str | None:
    """Why the projections of ``model`` cannot be fused, or None if they can."""
    layer = model.model.layers[0]
    mods = [getattr(layer.self_attn, p, None) for p in ("q_proj", "k_proj", "v_proj")]
    mods += [getattr(layer.mlp, p, None) for p in ("gate_proj", "up_proj")]
    if not all(type(m) is torch.nn.Linear for m in mods):  # a peft/quantized layer has its own forward
        return "its projections are not plain Linear layers"
    if hasattr(layer.self_attn, "q_norm"):
        return "it normalises Q and K per head before RoPE (Qwen3)"
    weights = [p for p in model.model.layers.parameters()]
    if len({(p.device, p.dtype) for p in weights}) != 1:
        return "its layers' weights are not on one device in one dtype"
    return None


class FusedProjections:
    """Per layer, the fused Q/K/V and gate/up weights and the two kernels that read their output."""

    name = "fused projections"

    def __init__(self, layers: list[Any], n_heads: int, n_kv: int, head_dim: int) -> None:
        self.n_heads, self.n_kv, self.head_dim = n_heads, n_kv, head_dim
        with torch.no_grad():
            self.qkv = [_fuse([a.q_proj, a.k_proj, a.v_proj]) for a in (layer.self_attn for layer in layers)]
            self.gate_up = [_fuse([layer.mlp.gate_proj, layer.mlp.up_proj])[0] for layer in layers]

    def attention_inputs(self, li: int, h, cos, sin, own_k, own_v, t):
        """Q ``[B, H, 1, D]`` (RoPE'd) for layer ``li``; K (RoPE'd) and V written at ``t`` into
        ``own_k``/``own_v`` ``[B, Hkv, T, D]``. ``h``: ``[B, 1, hidden]``; ``cos``/``sin``: ``[B, 1, D]``."""
        weight, bias = self.qkv[li]
        rows, d = h.shape[0], self.head_dim
        qkv = F.linear(h[:, 0], weight, bias)  # [B, (H + 2 Hkv) * D]
        q = torch.empty(rows, 1, self.n_heads, d, dtype=h.dtype, device=h.device)
        cos2, sin2 = cos[:, 0], sin[:, 0]
        _rope_store_kernel[(rows, self.n_heads + self.n_kv)](
            qkv, qkv.stride(0), cos2, sin2, cos2.stride(0), q, own_k, own_v,
            own_k.stride(0), own_k.stride(1), own_k.stride(2), t,
            N_Q=self.n_heads, N_KV=self.n_kv, D=d, HALF=d // 2, HALF_P=triton.next_power_of_2(d // 2),
        )  # fmt: skip
        return q.transpose(1, 2)

    def mlp(self, li: int, mlp: Any, h):
        """The MLP of layer ``li`` on ``h`` ``[B, 1, hidden]``."""
        weight = self.gate_up[li]
        inner = weight.shape[0] // 2
        gu = F.linear(h.reshape(-1, h.shape[-1]), weight)  # [B, 2 I]
        out = torch.empty(gu.shape[0], inner, dtype=h.dtype, device=h.device)
        _silu_mul_kernel[(gu.shape[0], triton.cdiv(inner, SILU_BLOCK))](
            gu, gu.stride(0), out, inner, BLOCK=SILU_BLOCK
        )
        return mlp.down_proj(out.view(*h.shape[:-1], inner))


def projection_self_check(decoder: Any, projections: FusedProjections) -> str | None:
    """Run layer 0's attention inputs and MLP both ways on a few rows; a reason if they differ."""
    layer, d = decoder.layers[0], decoder.head_dim
    weight = decoder.lm_head.weight
    gen = torch.Generator(device=weight.device).manual_seed(0)
    try:
        with torch.no_grad():
            h = torch.randn(3, 1, weight.shape[1], generator=gen, device=weight.device).to(weight.dtype)
            pos = torch.tensor([[3], [40], [7]], device=weight.device)
            cos, sin = decoder._rope(h, pos)
            own = [torch.zeros(3, decoder.n_kv, 4, d, dtype=h.dtype, device=h.device) for _ in range(2)]
            t = torch.tensor([2], device=h.device)
            q = projections.attention_inputs(0, h, cos, sin, own[0], own[1], t)
            want_q, want_k, want_v = decoder._qkv(layer.self_attn, h, cos, sin)
            pairs = [(q, want_q), (own[0][:, :, 2:3], want_k), (own[1][:, :, 2:3], want_v),
                     (projections.mlp(0, layer.mlp, h), layer.mlp(h))]  # fmt: skip
            if own[0][:, :, :2].abs().sum() or own[0][:, :, 3:].abs().sum():
                return "they write the KV cache outside step t"
            for ours, theirs in pairs:
                if not torch.allclose(ours.float(), theirs.float(), rtol=0.05, atol=0.05):
                    return "their result differs from the model's modules on this device"
    except Exception as exc:  # noqa: BLE001  (a Triton/driver failure: decode without them)
        return f"they fail on this device ({error_line(exc)})"
    return None
