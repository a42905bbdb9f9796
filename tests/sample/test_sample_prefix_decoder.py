"""The prefix-shared decoder gives the logits HF's own forward gives, step by step."""

from __future__ import annotations

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from seccodegen.sample import prefix_decoder
from seccodegen.sample.prefix_decoder import PrefixSharedDecoder, supports

PROMPTS = [[5, 6, 7, 8, 9], [10, 11, 12]]


def _model(kv_heads: int) -> LlamaForCausalLM:
    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=300,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=kv_heads,
        max_position_embeddings=256,
    )
    return LlamaForCausalLM(cfg).eval()


def _left_padded() -> tuple[torch.Tensor, torch.Tensor]:
    width = max(map(len, PROMPTS))
    ids = torch.zeros(len(PROMPTS), width, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, p in enumerate(PROMPTS):
        ids[i, width - len(p) :] = torch.tensor(p)
        mask[i, width - len(p) :] = 1
    return ids, mask


@pytest.mark.parametrize("kv_heads", [4, 2])  # plain multi-head and grouped-query attention
def test_logits_match_hf_forward_with_padding_and_group_drops(kv_heads: int) -> None:
    model, n = _model(kv_heads), 3
    decoder = PrefixSharedDecoder(model, cuda_graphs=False)
    ids, mask = _left_padded()
    gen = torch.Generator().manual_seed(1)
    with torch.inference_mode():
        logits = decoder.prefill(ids, mask, n, 10)
        seqs = [list(PROMPTS[r // n]) for r in range(len(PROMPTS) * n)]
        for step in range(6):
            for r, seq in enumerate(seqs):
                expected = model(torch.tensor([seq])).logits[0, -1]
                torch.testing.assert_close(logits[r], expected, rtol=1e-4, atol=1e-4)
            tokens = torch.randint(0, 300, (len(seqs),), generator=gen)
            for seq, tok in zip(seqs, tokens.tolist()):
                seq.append(tok)
            if step == 3:  # drop group 0: its rows leave the batch
                assert decoder.keep_groups(torch.tensor([1]))
                seqs, tokens = seqs[n:], tokens[n:]
            logits = decoder.step(tokens)


def test_fixed_window_path_equals_exact_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CUDA-graph step body (fixed window, later positions masked) run eagerly on CPU."""
    monkeypatch.setattr(prefix_decoder, "WINDOW", 4)
    model = _model(2)
    exact = PrefixSharedDecoder(model, cuda_graphs=False)
    windowed = PrefixSharedDecoder(model, cuda_graphs=True)
    monkeypatch.setattr(windowed, "_replay", lambda window: windowed._step_body(window, masked=True))
    ids, mask = _left_padded()
    gen = torch.Generator().manual_seed(2)
    with torch.inference_mode():
        for _ in range(2):  # the second batch reuses the buffers of the first
            a, b = exact.prefill(ids, mask, 2, 9), windowed.prefill(ids, mask, 2, 9)
            for _ in range(8):
                torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
                tokens = torch.randint(0, 300, (4,), generator=gen)
                a, b = exact.step(tokens), windowed.step(tokens)


def test_supports_llama_only() -> None:
    assert supports(_model(4))
    assert not supports(torch.nn.Linear(2, 2))


@pytest.mark.gpu
def test_cuda_graph_steps_equal_eager_steps_on_gpu() -> None:
    """The real CUDA-graph path (capture, replay, reuse across a same-shape batch) vs eager."""
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    model = _model(2).cuda()
    eager = PrefixSharedDecoder(model, cuda_graphs=False)
    graphed = PrefixSharedDecoder(model, cuda_graphs=True)
    ids, mask = (t.cuda() for t in _left_padded())
    gen = torch.Generator().manual_seed(3)
    with torch.inference_mode():
        for _ in range(2):
            a, b = eager.prefill(ids, mask, 2, 40), graphed.prefill(ids, mask, 2, 40)
            for _ in range(39):
                torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
                tokens = torch.randint(0, 300, (4,), generator=gen).cuda()
                a, b = eager.step(tokens), graphed.step(tokens)
