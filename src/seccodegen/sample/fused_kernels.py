"""Fused GPU kernels for the prefix decoder's decode step (liger-kernel's Triton kernels).

A decode step at ~1,000-2,000 rows is bound by the weight matrix multiplies, but the
elementwise work between them is not free: HF's RMSNorm is six kernels over the rows'
hidden states (to float32, square, mean, rsqrt, multiply, back to bf16, times the weight),
RoPE five per tensor (two products, a half-rotation through ``cat``, a negation, a sum), and
the MLP's SiLU-times-up two. Each reads and writes every row's activations. liger-kernel
(https://github.com/linkedin/Liger-Kernel, a small pure-Python package of Triton kernels)
does each of the three in one kernel with the same arithmetic as HF's modules (RMSNorm's
"llama" casting mode: the inverse RMS in float32, the product cast back before the weight),
and the residual add with the RMSNorm after it as one kernel too.
We use it instead of writing our own kernels; where it is missing (CPU, no Triton, not
installed) the decoder runs the model's own modules, and the results do not change beyond
the last bits of bf16 rounding. Before first use each kernel runs once on a few rows and is
compared with the model's module: one that fails or disagrees on this GPU is not used (a
warning says why) instead of failing mid-run.

Used for the decode step only: the prefill runs once per prompt and keeps the model's own
modules, and the CUDA-graph and eager decode paths share one step body, so they stay
byte-identical to each other.
"""

from __future__ import annotations

import importlib.util
import warnings
from typing import Any

from seccodegen.errors import ModelLoadError
from seccodegen.sample.kernel_choice import error_line


def liger_available() -> bool:
    return (
        importlib.util.find_spec("liger_kernel") is not None
        and importlib.util.find_spec("triton") is not None
    )


class ModelModules:
    """The same three operations done by the model's own modules (and HF's RoPE arithmetic)."""

    name = "the model's own modules"

    def rms_norm(self, norm: Any, x):
        return norm(x)

    def add_rms_norm(self, norm: Any, x, residual):
        """``(norm(x + residual), x + residual)``: a residual connection and the norm after it."""
        total = residual + x
        return norm(total), total

    def rope(self, q, k, cos, sin):
        """``q``/``k``: ``[B, H, S, D]``; ``cos``/``sin``: ``[B, S, D]``."""
        return _apply_rope(q, cos, sin), _apply_rope(k, cos, sin)

    def mlp(self, mlp: Any, x):
        return mlp(x)


MODEL_MODULES = ModelModules()


def _rotate_half(x):
    import torch

    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def _apply_rope(x, cos, sin):
    return x * cos.unsqueeze(1) + _rotate_half(x) * sin.unsqueeze(1)


class LigerDecodeKernels:
    """RMSNorm, RoPE and SiLU-times-up for a Llama-family model's decode step."""

    name = "fused kernels (liger-kernel)"

    def __init__(self) -> None:
        from liger_kernel.ops.fused_add_rms_norm import LigerFusedAddRMSNormFunction
        from liger_kernel.ops.rms_norm import LigerRMSNormFunction
        from liger_kernel.ops.rope import LigerRopeFunction
        from liger_kernel.ops.swiglu import LigerSiLUMulFunction

        self._rms, self._rope, self._silu_mul = LigerRMSNormFunction, LigerRopeFunction, LigerSiLUMulFunction
        self._add_rms = LigerFusedAddRMSNormFunction

    def rms_norm(self, norm: Any, x):
        # offset 0 (Llama/Qwen/Mistral norms multiply by the weight itself); in_place concerns
        # only the backward pass, which decoding never runs
        return self._rms.apply(x, norm.weight, norm.variance_epsilon, 0.0, "llama", False)

    def drop_add_norm(self) -> None:
        """Add, then the fused RMSNorm (the fused add + RMSNorm failed its check)."""
        self._add_rms = None

    def add_rms_norm(self, norm: Any, x, residual):
        # one kernel for the residual add and the norm after it: the sum is rounded to the
        # activations' dtype before the norm reads it, as in the model's ``norm(residual + x)``
        if self._add_rms is None:
            total = residual + x
            return self.rms_norm(norm, total), total
        return self._add_rms.apply(x, residual, norm.weight, norm.variance_epsilon, 0.0, "llama", False)

    def rope(self, q, k, cos, sin):
        """``q``/``k``: ``[B, H, S, D]`` views of the projections; rotated in place, returned."""
        return self._rope.apply(q, k, cos, sin)

    def mlp(self, mlp: Any, x):
        return mlp.down_proj(self._silu_mul.apply(mlp.gate_proj(x), mlp.up_proj(x)))


def _on_gpu(model: Any) -> bool:
    return model.lm_head.weight.device.type == "cuda"


def _fusable(model: Any) -> str | None:
    """Why the model's decode step cannot use the fused kernels, or None if it can."""
    cfg, core = model.config, model.model
    if getattr(cfg, "hidden_act", None) != "silu":
        return f"activation {getattr(cfg, 'hidden_act', None)!r} is not silu"
    layer = core.layers[0]
    norms = (layer.input_layernorm, layer.post_attention_layernorm, core.norm)
    if not all(hasattr(n, "variance_epsilon") and hasattr(n, "weight") for n in norms):
        return "its RMSNorm modules are not the Llama layout (weight, variance_epsilon)"
    if not all(hasattr(layer.mlp, p) for p in ("gate_proj", "up_proj", "down_proj")):
        return "its MLP is not gate/up/down projections"
    return None


def decode_kernels(model: Any, wanted: bool | None) -> LigerDecodeKernels | None:
    """The fused kernels for ``model``'s decode step, or None for the model's own modules.

    ``wanted``: None = use them when the model is on a GPU, liger-kernel is installed and the
    model's layout fits; False = never; True = required (a clear error if they cannot be used).
    """
    if wanted is False:
        return None
    reason = None
    if not _on_gpu(model):
        reason = "the model is not on a GPU"
    elif not liger_available():
        reason = "liger-kernel (and Triton) are not installed: pip install liger-kernel"
    else:
        reason = _fusable(model)
    kernels = None
    if reason is None:
        kernels = LigerDecodeKernels()
        reason = _self_check(model, kernels)
    if reason is None:
        add_reason = _self_check(model, kernels, add_norm=True)
        if add_reason is not None:  # this fusion failing alone keeps the other kernels
            warnings.warn(f"fused add + RMSNorm not used: {add_reason}", RuntimeWarning, stacklevel=2)
            kernels.drop_add_norm()
        return kernels
    if wanted:
        raise ModelLoadError(f"fused decode kernels requested (fused_kernels: true), but {reason}")
    if kernels is not None:  # installed but broken on this GPU: say so once, decode without them
        warnings.warn(f"fused decode kernels not used: {reason}", RuntimeWarning, stacklevel=2)
    return None


def _self_check(model: Any, kernels: Any, add_norm: bool = False) -> str | None:
    """Run each fused kernel once on a few rows of the model's own shapes and compare it with
    the model's modules: a Triton/driver failure or a wrong result becomes a reason, not a crash
    in the middle of sampling. Milliseconds; the Triton kernels compile here (cached on disk).
    ``add_norm``: check the fused add + RMSNorm alone."""
    import torch

    core, layer = model.model, model.model.layers[0]
    weight = model.lm_head.weight
    gen = torch.Generator(device=weight.device).manual_seed(0)
    try:
        with torch.no_grad():
            x = torch.randn(2, 1, weight.shape[1], generator=gen, device=weight.device).to(weight.dtype)
            if add_norm:
                r = torch.randn(2, 1, weight.shape[1], generator=gen, device=weight.device).to(weight.dtype)
                pairs = zip(
                    kernels.add_rms_norm(core.norm, x, r), MODEL_MODULES.add_rms_norm(core.norm, x, r)
                )
                return _differs(pairs)
            pairs = [(kernels.rms_norm(core.norm, x), core.norm(x)),
                     (kernels.mlp(layer.mlp, x), layer.mlp(x))]  # fmt: skip
            heads, dim = 2, 2 * 8
            q = torch.randn(2, 1, heads, dim, generator=gen, device=weight.device).to(weight.dtype)
            # RoPE's cos/sin repeat their first half (liger-kernel reads only that half)
            angles = torch.rand(2, 1, dim // 2, generator=gen, device=weight.device).repeat(1, 1, 2)
            cos, sin = angles.cos().to(weight.dtype), angles.sin().to(weight.dtype)
            want = MODEL_MODULES.rope(q.transpose(1, 2), q.transpose(1, 2), cos, sin)
            got = kernels.rope(q.clone().transpose(1, 2), q.clone().transpose(1, 2), cos, sin)
            pairs += list(zip(got, want))
            return _differs(pairs)
    except Exception as exc:  # noqa: BLE001  (any failure of a third-party kernel: fall back)
        return f"they fail on this GPU ({error_line(exc)})"


def _differs(pairs) -> str | None:
    import torch

    for ours, theirs in pairs:
        if not torch.allclose(ours.float(), theirs.float(), rtol=0.05, atol=0.05):
            return "their result differs from the model's modules on this GPU"
    return None
