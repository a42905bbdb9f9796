"""Our temperature + top-p sampler against HF's logits processors."""

from __future__ import annotations

import pytest
import torch
from transformers.generation.logits_process import TemperatureLogitsWarper, TopPLogitsWarper

from seccodegen.sample.sampler import derive_seed, row_uniforms, sample_top_p, top_p_filter


def _hf_probs(logits: torch.Tensor, temperature: float, top_p: float) -> torch.Tensor:
    scores = TemperatureLogitsWarper(temperature)(None, logits.clone())
    scores = TopPLogitsWarper(top_p)(None, scores)
    return scores.softmax(dim=-1)


def _our_probs(logits: torch.Tensor, temperature: float, top_p: float) -> torch.Tensor:
    sorted_logits, sorted_idx, removed = top_p_filter(logits, temperature, top_p)
    kept = sorted_logits.masked_fill(removed, float("-inf")).softmax(dim=-1)
    return torch.zeros_like(kept).scatter_(-1, sorted_idx, kept)


@pytest.mark.parametrize(("temperature", "top_p"), [(0.8, 0.9), (1.0, 0.5), (0.2, 0.95), (1.3, 1.0)])
def test_filtered_distribution_equals_hf_warpers(temperature: float, top_p: float) -> None:
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(64, 500, generator=gen) * 3
    ours, hf = _our_probs(logits, temperature, top_p), _hf_probs(logits, temperature, top_p)
    assert torch.equal(ours > 0, hf > 0)  # the same tokens survive top-p
    torch.testing.assert_close(ours, hf, rtol=1e-5, atol=1e-7)


def test_sample_frequencies_match_hf_distribution() -> None:
    """20,000 draws from one row: empirical frequencies vs HF's filtered probabilities (chi-square)."""
    from scipy.stats import chisquare

    logits = torch.randn(1, 40, generator=torch.Generator().manual_seed(1)) * 2
    probs = _hf_probs(logits, 0.8, 0.9)[0]
    draws = 20_000
    uniforms = row_uniforms([derive_seed("freq", i) for i in range(draws)], 1)[:, 0]
    tokens = sample_top_p(logits.expand(draws, -1), 0.8, 0.9, uniforms)
    counts = torch.bincount(tokens, minlength=40).double()
    assert counts[probs == 0].sum() == 0  # never a token top-p removed
    support = probs > 0
    expected = probs[support].double() / probs[support].double().sum() * draws
    assert chisquare(counts[support].numpy(), expected.numpy()).pvalue > 1e-3


def test_row_streams_do_not_depend_on_the_batch() -> None:
    seeds = [derive_seed("row", i) for i in range(6)]
    whole = row_uniforms(seeds, 5)
    part = row_uniforms(seeds[3:], 5)
    assert torch.equal(whole[3:], part)
    assert not torch.equal(whole[0], whole[1])


def test_temperature_zero_is_greedy() -> None:
    logits = torch.tensor([[0.1, 3.0, 0.2], [5.0, 1.0, 0.0]])
    assert sample_top_p(logits, 0.0, 0.9, torch.rand(2)).tolist() == [1, 0]


def test_top_p_keeps_the_most_likely_token_when_tiny() -> None:
    logits = torch.tensor([[0.0, 10.0, 1.0]])
    for u in (0.0, 0.5, 0.999999):
        assert sample_top_p(logits, 1.0, 1e-6, torch.tensor([u], dtype=torch.float64)).item() == 1
