"""The arithmetic behind the GPU benchmarks' MFU and memory lines, and the undoing of Liger's
process-wide patches (benchmarks/mfu.py, gpu_memory.py, sample_rows.py, train_rows.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from gpu_memory import largest_model  # noqa: E402
from mfu import ModelShape, mean_causal_context, sample_job_flops, train_token_flops  # noqa: E402
from sample_rows import largest_divisor_at_most  # noqa: E402
from train_rows import restored_llama_module  # noqa: E402


def test_sample_job_flops_is_the_token_by_token_sum():
    shape = ModelShape(matmul_params=1000, total_params=1200, layers=3, hidden=8)
    prompts, prompt_len, rows, new = 2, 5, 6, 4
    per_token = lambda ctx: 2 * 1000 + 4 * 3 * 8 * ctx  # noqa: E731
    expected = prompts * sum(per_token(p + 1) for p in range(prompt_len))
    expected += rows * sum(per_token(prompt_len + t + 1) for t in range(new))
    assert sample_job_flops(shape, prompts, prompt_len, rows, new) == pytest.approx(expected)


def test_mean_causal_context_counts_each_token_once():
    # lengths 1 and 2: the tokens attend to 1, then 1 and 2 positions
    assert mean_causal_context([1, 2]) == pytest.approx((1 + 1 + 2) / 3)
    assert mean_causal_context([]) == 0.0


def test_train_flops_adapters_skip_frozen_weight_gradients():
    shape = ModelShape(matmul_params=10**9, total_params=10**9, layers=2, hidden=16)
    lora = train_token_flops(shape, "lora", adapter_params=10**6, mean_ctx=100)
    full = train_token_flops(shape, "full", adapter_params=10**9, mean_ctx=100)
    attention = 12 * 2 * 16 * 100
    assert lora["mfu"] == pytest.approx(4 * 10**9 + 6 * 10**6 + attention)
    assert lora["6N"] == full["mfu"] == full["6N"] == pytest.approx(6 * 10**9 + attention)


def test_model_shape_leaves_out_the_embedding_table_only():
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(vocab_size=100, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                      num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=False)  # fmt: skip
    shape = ModelShape.of(LlamaForCausalLM(cfg))
    head_dim = 8
    per_layer = 16 * 16 * 2 + 16 * head_dim * 2 + 3 * 16 * 32  # q, o; k, v (1 kv head); MLP
    assert shape.matmul_params == 2 * per_layer + 100 * 16  # + the LM head, not the embedding
    assert shape.total_params == shape.matmul_params + 100 * 16 + (2 * 2 + 1) * 16  # + norms
    assert (shape.layers, shape.hidden) == (2, 16)


def test_largest_model_bounds():
    gib = 2**30
    low, high = largest_model(40.0, 7 * 10**9, "lora", 140 * gib)
    assert low == pytest.approx(7e9 * 140 / 40)
    assert high == pytest.approx(7e9 + 100 * gib / 2)
    assert largest_model(0.0, 7 * 10**9, "full", 140 * gib) is None


def test_largest_divisor_gives_equal_calls():
    assert largest_divisor_at_most(1560, 1170) == 780
    assert largest_divisor_at_most(1560, 600) == 520
    assert largest_divisor_at_most(1560, 5000) == 1560
    assert largest_divisor_at_most(7, 0) == 1


def test_restored_llama_module_undoes_module_and_class_patches():
    from transformers.models.llama import modeling_llama as module

    rope, norm, forward = module.apply_rotary_pos_emb, module.LlamaRMSNorm, module.LlamaMLP.forward
    with restored_llama_module():
        module.apply_rotary_pos_emb = lambda *a: a
        module.LlamaRMSNorm = object
        module.LlamaMLP.forward = lambda self, x: x
        module.LlamaMLP.extra = 1
        module.added_by_patch = 2
    assert module.apply_rotary_pos_emb is rope and module.LlamaRMSNorm is norm
    assert module.LlamaMLP.forward is forward
    assert not hasattr(module.LlamaMLP, "extra") and not hasattr(module, "added_by_patch")
