"""The prefix decoder's attention at a decode step: PyTorch's batched matmuls or Triton kernels.

At a decode step each row's query attends to its prompt's keys (shared by the ``n`` rows of a
prompt, stored once) and to its own generated keys. Two implementations, picked by the sample
option ``decode_attention``:

- ``torch``: batched matrix multiplies over the shared prefix and over a window of the own cache,
  one float32 softmax over both, and the layout copies between them (about 15 kernels per
  layer). Inside a CUDA graph the window is a multiple of 16 positions, the later ones masked.
- ``triton``: two kernels per layer (``decode_attention_kernel.py``), one online softmax in
  float32: the prompt's keys once per prompt for all its rows (a tensor-core product), then each
  row's own keys only up to the step's position. The decode step at ~800 rows reads every row's
  own keys and values once per layer: after the weight matmuls the largest cost of a step, and
  one that these bmm/softmax/copy kernels spend several passes on (docs/performance.md: +11%
  tokens/s on a 7B model).
  Why our own kernel: flash-attn and FlashInfer (whose cascade attention does prefix sharing)
  have no wheel that fits a GPU machine without network access and a compiler, and PyTorch's
  own attention kernels take one key/value sequence per row, not a shared prefix plus own keys.

The two agree to float32 rounding in the scores (the torch path rounds scores and weights to
bf16 around its matmuls), so for the same seed their texts can part after some tokens, as with
the fused kernels; ``torch`` repeats samples made before the kernel existed. ``auto`` (default):
the kernel on a GPU with Triton installed, if it passes a check against the torch path on a small
case before first use; otherwise torch, with a warning if Triton is there but the kernel failed.
"""

from __future__ import annotations

from typing import Any

from seccodegen.sample.kernel_choice import kernel_or_torch, triton_missing


class TorchAttention:
    """Batched matmuls over the shared prefix and a window of the own cache, one softmax."""

    name = "batched matmuls (PyTorch)"
    uses_window = True  # reads own positions < window; the caller masks those after t

    def __call__(self, dec: Any, q, li: int, window: int, own_bias, k=None, v=None):
        """``q``: ``[B, H, 1, D]`` -> ``[B, H*D]``; attends to the prefix and own positions ``< window``.
        ``k``/``v`` ``[B, Hkv, 1, D]``: the step's keys and values, first written into the own
        cache at ``t`` (both attentions take them, so the kernel can skip the copy)."""
        import torch

        c = dec.cache
        if k is not None:
            c.own_k[li].index_copy_(2, c.t, k)
            c.own_v[li].index_copy_(2, c.t, v)
        b, n, g, d = q.shape[0], c.n, dec.group, dec.head_dim
        u, hkv = b // n, dec.n_kv
        q5 = q.view(u, n, hkv, g, d)
        # prefix: the n samples of a prompt are n query rows against one shared prefix
        q_shared = q5.permute(0, 2, 3, 1, 4).reshape(u, hkv, g * n, d)
        s_prefix = (q_shared @ c.prefix_k[li].transpose(-1, -2)).view(u, hkv, g, n, -1)
        s_prefix = s_prefix.float() * dec.scale + c.prefix_bias
        # own: each row's generated tokens (static buffer; window = t + 1, or a graph's bucket)
        s_own = q.view(b, hkv, g, d) @ c.own_k[li][:, :, :window].transpose(-1, -2)  # [B, Hkv, G, W]
        s_own = s_own.float().view(u, n, hkv, g, window).permute(0, 2, 3, 1, 4) * dec.scale
        if own_bias is not None:
            s_own = s_own + own_bias
        probs = torch.cat((s_prefix, s_own), dim=-1).softmax(dim=-1).to(q.dtype)  # [U, Hkv, G, n, P+W]
        p_len = s_prefix.shape[-1]
        p_prefix = probs[..., :p_len].reshape(u, hkv, g * n, p_len)
        o_prefix = (p_prefix @ c.prefix_v[li]).view(u, hkv, g, n, d).permute(0, 3, 1, 2, 4)
        p_own = probs[..., p_len:].permute(0, 3, 1, 2, 4).reshape(b, hkv, g, window)
        o_own = (p_own @ c.own_v[li][:, :, :window]).view(u, n, hkv, g, d)
        return (o_prefix + o_own).reshape(b, hkv * g * d)


class TritonAttention:
    """Two Triton kernels per layer; own keys read up to the step's position ``t`` only."""

    name = "Triton kernels"
    uses_window = False  # reads t from the device: one CUDA graph serves every step

    def __init__(self, own_launch: tuple[int, int, int] | None = None) -> None:
        """``own_launch``: (query heads per program, own positions per block, warps) of the
        own-key kernel; None takes ``decode_attention_kernel.OWN_LAUNCH``."""
        from seccodegen.sample.decode_attention_kernel import prefix_own_attention

        self._kernel = prefix_own_attention
        self.own_launch = own_launch

    def __call__(self, dec: Any, q, li: int, window: int, own_bias, k=None, v=None):
        c = dec.cache
        return self._kernel(
            q, c.prefix_k[li], c.prefix_v[li], c.prefix_bias, c.own_k[li], c.own_v[li], c.t, c.n, dec.scale,
            own_launch=self.own_launch, step_k=k, step_v=v,
        )  # fmt: skip


TORCH_ATTENTION = TorchAttention()


def decode_attention(device: Any, head_dim: int, choice: str = "auto") -> Any:
    """The attention for a decoder whose model is on ``device``: ``TritonAttention`` or torch's.

    ``choice``: ``auto`` (the kernel when it can run and passes its check), ``triton`` (required:
    a one-line error if it cannot run), ``torch``.
    """
    reason = triton_missing(device)
    if reason is None and (head_dim & (head_dim - 1) or head_dim < 16):
        reason = f"head dimension {head_dim} is not a power of two >= 16"
    return kernel_or_torch(
        "decode_attention", choice, reason, TritonAttention,
        lambda attention: self_check(attention, device, head_dim), TORCH_ATTENTION, "Triton decode attention",
    )  # fmt: skip


class _CheckDecoder:
    """The few attributes of ``PrefixSharedDecoder`` the attention reads, on a small random case."""

    def __init__(self, device: Any, head_dim: int, dtype: Any, seed: int = 0) -> None:
        import torch

        from seccodegen.sample.prefix_decoder import _Cache

        gen = torch.Generator(device=device).manual_seed(seed)

        def rand(*shape):
            return torch.randn(*shape, generator=gen, device=device).to(dtype)

        prompts, n, kv_heads, prefix_len, own_len = 2, 3, 2, 21, 40
        self.n_kv, self.group, self.head_dim, self.scale = kv_heads, 2, head_dim, head_dim**-0.5
        bias = torch.zeros(prompts, prefix_len, device=device)
        bias[1, :19] = float("-inf")  # the second prompt is left-padded to two real tokens
        rows = prompts * n
        self.cache = _Cache(
            prefix_k=[rand(prompts, kv_heads, prefix_len, head_dim)],
            prefix_v=[rand(prompts, kv_heads, prefix_len, head_dim)],
            prefix_bias=bias[:, None, None, None, :].contiguous(),
            row_lengths=torch.tensor([2, 21], device=device).repeat_interleave(n),
            own_k=[rand(rows, kv_heads, own_len, head_dim)],
            own_v=[rand(rows, kv_heads, own_len, head_dim)],
            tokens=torch.zeros(rows, dtype=torch.long, device=device),
            t=torch.tensor([own_len - 7], device=device),
            n=n,
        )
        # q as the decoder makes it: a [B, H, 1, D] view of a [B, 1, H*D] projection; the step's k/v
        self.q = rand(rows, 1, kv_heads * self.group, head_dim).transpose(1, 2)
        self.k, self.v = (rand(rows, 1, kv_heads, head_dim).transpose(1, 2) for _ in range(2))


def compare_with_torch(attention: Any, device: Any, head_dim: int, dtype: Any) -> float:
    """Largest absolute difference between ``attention`` and the torch path on a small case: their
    outputs reading position ``t`` from the cache, then given the step's k/v (whose position ``t``
    holds other values before), and the caches they wrote (the same, or infinite)."""
    import torch

    want_dec, got_dec = _CheckDecoder(device, head_dim, dtype), _CheckDecoder(device, head_dim, dtype)
    t = int(want_dec.cache.t.item())
    diffs = []
    for step in (False, True):
        kv = (want_dec.k, want_dec.v) if step else ()
        want = TORCH_ATTENTION(want_dec, want_dec.q, 0, t + 1, None, *kv).float()
        got = attention(got_dec, got_dec.q, 0, t + 1, None, *kv).float()
        diffs.append(float((got - want).abs().max()))
    for a, b in zip(want_dec.cache.own_k + want_dec.cache.own_v, got_dec.cache.own_k + got_dec.cache.own_v):
        if not torch.equal(a, b):
            return float("inf")
    return max(diffs)


def self_check(attention: Any, device: Any, head_dim: int) -> str | None:
    """None if the kernel agrees with the torch path on this device, else why not."""
    import torch

    diff = compare_with_torch(attention, device, head_dim, torch.bfloat16)
    # outputs are averages of N(0, 1) values; the torch path rounds weights to bf16 (~0.4%)
    if not diff <= 0.05:
        return f"its result differs from the torch path on this GPU by {diff:.3g}"
    return None
