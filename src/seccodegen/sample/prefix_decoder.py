"""Our decode step for Llama-family models: prefix-shared static KV cache, optional CUDA graphs.

All ``n`` samples of a prompt share its prompt ("prefix") keys/values: the prompt is run once
per prompt, not once per sample, and at every decode step the ``n`` sample queries of a prompt
attend to its prefix as one small matrix multiply (``[G*n, D] x [D, P]`` per kv head) instead
of ``n`` separate reads of ``n`` copies. Each sample's own generated keys/values live in one
preallocated buffer ``[rows, kv_heads, max_new_tokens, head_dim]`` per layer (a static cache:
written in place at step ``t``, never concatenated). The softmax runs jointly over prefix and
own scores.

On a GPU a decode step is ~2,000 small kernels; launched one by one from Python they cost more
than the GPU needs to run them. With ``cuda_graphs`` each step is one graph replay: the step
reads ``t`` from a device tensor. The attention (``decode_attention.py``) is Triton kernels
that read ``t`` themselves, so one graph serves every step; or, with ``attention="torch"``, batched
matmuls over a fixed window of the own buffer (a multiple of :data:`WINDOW` tokens, positions
``> t`` masked), so one graph serves ``WINDOW`` steps. Graphs are kept while the next batch
has the same shapes.

Rows are ordered ``group * n + j``: group = one prompt's batch of samples. A group whose
samples have all finished can be dropped (``keep_groups``) to free its rows.

Supported: the HF Llama layout (``model.model.{embed_tokens,layers,norm,rotary_emb}``,
``self_attn.{q,k,v,o}_proj``, optional ``q_norm``/``k_norm``) -- Llama, CodeLlama, Mistral,
Qwen2, Qwen3, SmolLM. ``supports(model)`` says whether a model can use it; others use HF's
own forward (``decode_loop.HFForwardStepper``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seccodegen.sample.decode_attention import decode_attention
from seccodegen.sample.fused_kernels import MODEL_MODULES, decode_kernels

SUPPORTED_MODEL_TYPES = ("llama", "mistral", "qwen2", "qwen3")
WINDOW = 16  # own-token window granularity of a CUDA graph (steps served by one graph)


def head_dim(cfg: Any) -> int:
    """Size of one attention head of a model config (``head_dim``, else hidden size / heads)."""
    return getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads


def supports(model: Any) -> bool:
    cfg = getattr(model, "config", None)
    core = getattr(model, "model", None)
    if cfg is None or core is None or getattr(cfg, "model_type", None) not in SUPPORTED_MODEL_TYPES:
        return False
    needed = ("embed_tokens", "layers", "norm", "rotary_emb")
    rope_ok = hasattr(getattr(core, "rotary_emb", None), "inv_freq")
    return all(hasattr(core, name) for name in needed) and hasattr(model, "lm_head") and rope_ok


@dataclass
class _Cache:
    """Per-batch device state. Every tensor a graph reads is here and updated in place."""

    prefix_k: list  # per layer [U, Hkv, P, D]
    prefix_v: list
    prefix_bias: Any  # [U, 1, 1, 1, P] float32: 0 for a real prompt token, -inf for left padding
    row_lengths: Any  # [U*n] long: real prompt tokens of each row's prompt
    own_k: list  # per layer [U*n, Hkv, T, D], preallocated
    own_v: list
    tokens: Any  # [U*n] long: the step's input tokens
    t: Any  # [1] long: own position written this step
    n: int  # samples (rows) per group
    steps: int = 0  # own tokens written so far (host copy of t)

    def shape_key(self) -> tuple:
        return (tuple(self.prefix_k[0].shape), tuple(self.own_k[0].shape), self.n)


class PrefixSharedDecoder:
    """Prefill prompts once, then decode ``n`` rows per prompt; returns next-token logits."""

    def __init__(
        self,
        model: Any,
        cuda_graphs: bool | None = None,
        fused_kernels: bool | None = None,
        attention: str = "auto",
    ) -> None:
        if not supports(model):
            raise ValueError(f"model type {getattr(model.config, 'model_type', '?')!r} is not Llama-family")
        cfg = model.config
        core = model.model
        self.model = model
        self.embed = core.embed_tokens
        self.layers = list(core.layers)
        self.norm = core.norm
        self.rotary = core.rotary_emb
        self.lm_head = model.lm_head
        self.n_heads = cfg.num_attention_heads
        self.n_kv = getattr(cfg, "num_key_value_heads", None) or self.n_heads
        self.head_dim = head_dim(cfg)
        self.group = self.n_heads // self.n_kv  # query heads per kv head (GQA)
        self.scale = getattr(self.layers[0].self_attn, "scaling", self.head_dim**-0.5)
        device = self.lm_head.weight.device
        self.cuda_graphs = device.type == "cuda" if cuda_graphs is None else cuda_graphs
        # the decode step's RMSNorm, RoPE and SiLU*up as fused kernels (GPU; None: the model's own)
        self.kernels = decode_kernels(model, fused_kernels) or MODEL_MODULES
        # prefix + own attention: Triton kernels on a GPU, else batched matmuls (decode_attention.py)
        self.attention = decode_attention(device, self.head_dim, attention)
        self.cache: _Cache | None = None
        self._graphs: dict[int, tuple[Any, Any]] = {}  # window -> (CUDAGraph, logits it writes)
        self._pool = None

    # -- shared pieces ------------------------------------------------------------------------

    def _rope(self, x, positions):
        """cos/sin ``[B, S, D]`` for ``positions`` ``[B, S]`` (the model's own inv_freq/scaling)."""
        import torch

        freqs = positions[..., None].float() * self.rotary.inv_freq.float()
        emb = torch.cat((freqs, freqs), dim=-1)
        scaling = getattr(self.rotary, "attention_scaling", 1.0)
        return (emb.cos() * scaling).to(x.dtype), (emb.sin() * scaling).to(x.dtype)

    def _qkv(self, attn: Any, h, cos, sin, kernels: Any = MODEL_MODULES):
        b, s, _ = h.shape
        q = attn.q_proj(h).view(b, s, self.n_heads, self.head_dim)
        k = attn.k_proj(h).view(b, s, self.n_kv, self.head_dim)
        v = attn.v_proj(h).view(b, s, self.n_kv, self.head_dim).transpose(1, 2)
        if hasattr(attn, "q_norm"):  # Qwen3: per-head RMSNorm before RoPE
            q, k = attn.q_norm(q), attn.k_norm(k)
        q, k = kernels.rope(q.transpose(1, 2), k.transpose(1, 2), cos, sin)
        return q, k, v

    # -- prefill ------------------------------------------------------------------------------

    def prefill(self, input_ids, attention_mask, n: int, max_new_tokens: int):
        """Run left-padded prompts ``[U, P]`` once; set up ``U*n`` rows; return ``[U*n, V]`` logits."""
        import torch
        import torch.nn.functional as F

        mask = attention_mask.bool()
        u, p = input_ids.shape
        positions = (mask.long().cumsum(-1) - 1).clamp_(min=0)
        x = self.embed(input_ids)
        cos, sin = self._rope(x, positions)
        causal = torch.ones(p, p, dtype=torch.bool, device=x.device).tril()
        # a left-pad query sees only pads; letting it see itself avoids an all-masked row (NaN)
        allowed = (causal & mask[:, None, None, :]) | torch.eye(p, dtype=torch.bool, device=x.device)
        prefix_k, prefix_v = [], []
        for layer in self.layers:
            attn = layer.self_attn
            q, k, v = self._qkv(attn, layer.input_layernorm(x), cos, sin)
            prefix_k.append(k)
            prefix_v.append(v)
            if self.group > 1:
                k, v = k.repeat_interleave(self.group, 1), v.repeat_interleave(self.group, 1)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, scale=self.scale)
            x = x + attn.o_proj(out.transpose(1, 2).reshape(u, p, -1))
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        bias = torch.zeros(mask.shape, dtype=torch.float32, device=x.device).masked_fill_(
            ~mask, float("-inf")
        )
        self._load(
            prefix_k,
            prefix_v,
            bias[:, None, None, None, :],
            mask.sum(-1).repeat_interleave(n),
            n,
            max_new_tokens,
        )
        logits = self.lm_head(self.norm(x[:, -1]))
        return logits.repeat_interleave(n, dim=0)

    def _load(self, prefix_k, prefix_v, bias, row_lengths, n: int, max_new_tokens: int) -> None:
        """Copy a batch's prefix into the state, reusing buffers (and graphs) when shapes match."""
        import torch

        rows = row_lengths.shape[0]
        own_shape = (rows, self.n_kv, max_new_tokens, self.head_dim)
        c = self.cache
        same = c is not None and c.shape_key() == (tuple(prefix_k[0].shape), own_shape, n)
        if not same:
            self._drop_graphs()
            self.cache = None  # free the old buffers before allocating new ones
            dev, dt = prefix_k[0].device, prefix_k[0].dtype
            self.cache = _Cache(
                prefix_k=[torch.empty_like(k, memory_format=torch.contiguous_format) for k in prefix_k],
                prefix_v=[torch.empty_like(v, memory_format=torch.contiguous_format) for v in prefix_v],
                prefix_bias=torch.empty_like(bias),
                row_lengths=torch.empty_like(row_lengths),
                own_k=[torch.zeros(own_shape, dtype=dt, device=dev) for _ in self.layers],
                own_v=[torch.zeros(own_shape, dtype=dt, device=dev) for _ in self.layers],
                tokens=torch.zeros(rows, dtype=torch.long, device=dev),
                t=torch.zeros(1, dtype=torch.long, device=dev),
                n=n,
            )
            c = self.cache
        for dst, src in zip(c.prefix_k + c.prefix_v, prefix_k + prefix_v):
            dst.copy_(src)
        c.prefix_bias.copy_(bias)
        c.row_lengths.copy_(row_lengths)
        c.t.zero_()
        c.steps = 0

    # -- decode -------------------------------------------------------------------------------

    def _step_body(self, window: int, masked: bool):
        """One decode step reading ``cache.tokens`` / ``cache.t``; returns logits ``[B, V]``."""
        import torch

        c = self.cache
        b = c.tokens.shape[0]
        x = self.embed(c.tokens[:, None])
        cos, sin = self._rope(x, (c.row_lengths + c.t)[:, None])
        own_bias = None
        if masked and self.attention.uses_window:  # positions written after t are stale or empty
            pos = torch.arange(window, device=x.device)
            own_bias = torch.zeros(window, device=x.device).masked_fill_(pos > c.t, float("-inf"))
        kn = self.kernels
        h = kn.rms_norm(self.layers[0].input_layernorm, x)
        for li, layer in enumerate(self.layers):
            attn = layer.self_attn
            q, k, v = self._qkv(attn, h, cos, sin, kn)
            # the attention writes k/v into the own cache at t (the Triton kernel as it attends)
            out = attn.o_proj(self.attention(self, q, li, window, own_bias, k, v).view(b, 1, -1))
            h, x = kn.add_rms_norm(layer.post_attention_layernorm, out, x)  # x += out; h = norm(x)
            after = self.layers[li + 1].input_layernorm if li + 1 < len(self.layers) else self.norm
            h, x = kn.add_rms_norm(after, kn.mlp(layer.mlp, h), x)  # the next norm: one kernel with the add
        return self.lm_head(h[:, 0])

    def step(self, tokens):
        """Feed one token per row (``[B]`` long); return next-token logits ``[B, V]``."""
        c = self.cache
        c.tokens.copy_(tokens)
        c.t.fill_(c.steps)
        if self.cuda_graphs:
            window = c.own_k[0].shape[2]  # an attention that reads t itself: one graph for all steps
            if self.attention.uses_window:
                window = min(window, (c.steps // WINDOW + 1) * WINDOW)
            logits = self._replay(window)
        else:
            logits = self._step_body(c.steps + 1, masked=False)
        c.steps += 1
        return logits

    def _replay(self, window: int):
        import torch

        if window not in self._graphs:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):  # warm-up outside capture (allocator, cuBLAS workspaces)
                self._step_body(window, masked=True)
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph, pool=self._pool):
                logits = self._step_body(window, masked=True)
            self._pool = graph.pool()
            self._graphs[window] = (graph, logits)
        graph, logits = self._graphs[window]
        graph.replay()  # re-running the step after warm-up rewrites the same K/V at t: idempotent
        return logits

    def _drop_graphs(self) -> None:
        self._graphs.clear()
        self._pool = None

    def keep_groups(self, keep) -> bool:
        """Drop every group not in ``keep`` (``[U']`` long, ascending): frees their rows."""
        import torch

        c = self.cache
        rows = (keep[:, None] * c.n + torch.arange(c.n, device=keep.device)).reshape(-1)
        self._drop_graphs()  # graphs hold the old buffers' addresses
        c.prefix_k = [k.index_select(0, keep) for k in c.prefix_k]
        c.prefix_v = [v.index_select(0, keep) for v in c.prefix_v]
        c.prefix_bias = c.prefix_bias.index_select(0, keep)
        c.row_lengths = c.row_lengths.index_select(0, rows)
        c.own_k = [k.index_select(0, rows) for k in c.own_k]
        c.own_v = [v.index_select(0, rows) for v in c.own_v]
        c.tokens = c.tokens.index_select(0, rows)
        return True

    def release(self) -> None:
        """End of a batch: buffers and graphs stay for a next batch of the same shape."""

    def free(self) -> None:
        """Drop buffers and graphs (the engine is done)."""
        self._drop_graphs()
        self.cache = None
