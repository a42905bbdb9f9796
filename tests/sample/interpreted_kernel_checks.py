"""Checks of the Triton decode attention and sampling kernels, run under Triton's CPU interpreter by
``test_sample_decode_attention.py`` (``python interpreted_kernel_checks.py CHECK [ARGS]`` with
``TRITON_INTERPRET=1``; a failed assert exits non-zero)."""

from __future__ import annotations

import sys

import torch
import triton.runtime.interpreter as interpreter

from seccodegen.sample.decode_attention import (
    TORCH_ATTENTION,
    TritonAttention,
    _CheckDecoder,
    compare_with_torch,
)
from seccodegen.sample.prefix_decoder import PrefixSharedDecoder

# Triton 3.6's interpreter turns a loop bound into an int with int(1-element array), which
# NumPy >= 2.4 refuses: read element 0 instead (later Triton versions need no patch)
_patch_tensor = getattr(interpreter, "_patch_lang_tensor", None)


def _patched(tensor, scope):
    _patch_tensor(tensor, scope)
    scope.set_attr(tensor, "__index__", lambda self: int(self.handle.data.reshape(-1)[0]))


if _patch_tensor is not None:
    interpreter._patch_lang_tensor = _patched


def equals_torch(head_dim: str) -> None:
    """GQA (2 query heads per kv head), a prompt left-padded so that its first key block is all
    padding, own keys after t that must not count: float32 equal to rounding, with the default
    launch setting and with several heads per program and other block sizes. (float32 only: the
    interpreter's ``tl.dot`` of bf16 inputs is wrong; bf16 is checked on a GPU, where the
    decoder's self-check and ``test_triton_decode_attention_matches_the_torch_path_on_gpu`` run.)"""
    diffs = [compare_with_torch(TritonAttention(), "cpu", int(head_dim), torch.float32)]
    diffs += [compare_with_torch(TritonAttention(launch), "cpu", int(head_dim), torch.float32)
              for launch in [(2, 16, 2), (4, 64, 4), (8, 32, 8)]]  # fmt: skip
    print("float32 " + " ".join(f"{x:.3g}" for x in diffs))
    assert max(diffs) < 1e-5


def reads_no_own_key_after_t() -> None:
    dec = _CheckDecoder("cpu", 16, torch.float32)
    t = int(dec.cache.t.item())
    want = TORCH_ATTENTION(dec, dec.q, 0, t + 1, None)
    for buf in (dec.cache.own_k[0], dec.cache.own_v[0]):
        buf[:, :, t + 1 :] = float("nan")  # stale positions of an earlier batch, say
    got = TritonAttention()(dec, dec.q, 0, 0, None)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    dec.cache.t.fill_(t + 1)  # one step later the next position counts
    assert TritonAttention()(dec, dec.q, 0, 0, None).isnan().all()
    # given the step's k/v, position t is attended from them (the cache's NaN there is not read)
    # and written into the cache
    dec.cache.t.fill_(t)
    want_dec = _CheckDecoder("cpu", 16, torch.float32)
    want = TORCH_ATTENTION(want_dec, want_dec.q, 0, t + 1, None, want_dec.k, want_dec.v)
    for buf in (dec.cache.own_k[0], dec.cache.own_v[0]):
        buf[:, :, t] = float("nan")
    got = TritonAttention()(dec, dec.q, 0, 0, None, dec.k, dec.v)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    assert torch.equal(dec.cache.own_k[0][:, :, t], dec.k[:, :, 0])
    assert torch.equal(dec.cache.own_v[0][:, :, t], dec.v[:, :, 0])


def decoder_steps() -> None:
    """The whole decode step (RoPE'd query views, the cache the decoder fills) through prefill and
    12 steps, a left-padded prompt among two: float32 logits equal to rounding."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=300, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256)  # fmt: skip
    model = LlamaForCausalLM(cfg).eval()
    plain = PrefixSharedDecoder(model, cuda_graphs=False)
    kernel = PrefixSharedDecoder(model, cuda_graphs=False)
    kernel.attention = TritonAttention()
    ids = torch.tensor([[0, 0, 0, 5, 6, 7], [8, 9, 10, 11, 12, 13]])
    mask = torch.tensor([[0, 0, 0, 1, 1, 1], [1, 1, 1, 1, 1, 1]])
    gen = torch.Generator().manual_seed(3)
    with torch.inference_mode():
        a, b = plain.prefill(ids, mask, 3, 16), kernel.prefill(ids, mask, 3, 16)
        for _ in range(12):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
            tokens = torch.randint(0, 300, (6,), generator=gen)
            a, b = plain.step(tokens), kernel.step(tokens)
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
    print("12 steps equal")


def sampler_matches_reference(*launch: str) -> None:
    """The top-p kernel draws what ``vocab_order_reference`` draws on rows that are not within
    rounding of a boundary (``sampler_self_check``'s three cases: flat, peaked, top_p 1), with
    the given launch setting (block, ways, warps); and the kept set is HF's: a token the sort
    path drops is never drawn."""
    from seccodegen.sample.sampler import KernelSampler, sampler_self_check, top_p_filter

    sampler = KernelSampler(tuple(int(x) for x in launch) or None)
    reason = sampler_self_check(sampler, "cpu", rows=16, vocab=1500)
    assert reason is None, reason
    gen = torch.Generator().manual_seed(1)
    logits = (torch.randn(8, 700, generator=gen) * 4).repeat(8, 1)  # each row drawn from 8 times
    _, order, removed = top_p_filter(logits, 0.7, 0.8)
    dropped = torch.zeros_like(removed).scatter_(-1, order, removed)
    tokens = sampler(logits, 0.7, 0.8, torch.rand(64, generator=gen, dtype=torch.float64))
    assert not dropped.gather(-1, tokens[:, None]).any()
    broken = torch.stack([torch.full((700,), float("nan")), torch.full((700,), float("-inf"))])
    tokens = sampler(broken, 0.7, 0.8, torch.rand(2, generator=gen, dtype=torch.float64))
    assert ((tokens >= 0) & (tokens < 700)).all(), tokens  # never an id the embedding cannot look up
    print("sampler ok")


if __name__ == "__main__":
    globals()[sys.argv[1]](*sys.argv[2:])
