"""The decode step's attention: the Triton kernel computes what the batched-matmul path computes
(on CPU through Triton's interpreter, on a GPU for real), and the choice between them."""

from __future__ import annotations

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from seccodegen.errors import ModelLoadError
from seccodegen.sample import decode_attention
from seccodegen.sample.decode_attention import TORCH_ATTENTION, TritonAttention
from seccodegen.sample.prefix_decoder import PrefixSharedDecoder


def _model() -> LlamaForCausalLM:
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=300, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256)  # fmt: skip
    return LlamaForCausalLM(cfg).eval()


def test_on_cpu_auto_is_the_torch_path_and_triton_is_a_one_line_error() -> None:
    assert decode_attention.decode_attention("cpu", 64) is TORCH_ATTENTION
    assert PrefixSharedDecoder(_model(), cuda_graphs=False).attention is TORCH_ATTENTION
    with pytest.raises(ModelLoadError, match=r"triton was requested, but the model is not on a GPU; set it"):
        PrefixSharedDecoder(_model(), cuda_graphs=False, attention="triton")
    with pytest.raises(
        ValueError, match="decode_attention must be one of auto, triton, torch, got 'trition'"
    ):
        decode_attention.decode_attention("cpu", 64, "trition")


def test_sample_config_rejects_an_unknown_attention() -> None:
    from seccodegen.sample.config import SampleConfig

    assert SampleConfig(model="m", out="o").decode_attention == "auto"
    with pytest.raises(ValueError, match="decode_attention must be one of auto, triton, torch, got 'flash'"):
        SampleConfig(model="m", out="o", decode_attention="flash")


def test_a_kernel_that_fails_or_disagrees_falls_back_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decode_attention, "triton_missing", lambda device: None)

    class Broken:
        name = "broken"

        def __init__(self) -> None:
            raise RuntimeError("no kernel image is available for execution on the device\ndetail")

    monkeypatch.setattr(decode_attention, "TritonAttention", Broken)
    with pytest.warns(
        RuntimeWarning, match=r"not used: it fails on this GPU \(RuntimeError: no kernel image"
    ):
        assert decode_attention.decode_attention("cpu", 64) is TORCH_ATTENTION
    with pytest.raises(ModelLoadError, match="triton was requested, but it fails on this GPU"):
        decode_attention.decode_attention("cpu", 64, "triton")

    class Wrong:
        name = "wrong"
        uses_window = False

        def __call__(self, dec, q, li, window, own_bias, k=None, v=None):
            return TORCH_ATTENTION(dec, q, li, window, own_bias, k, v) + 1.0

    monkeypatch.setattr(decode_attention, "TritonAttention", Wrong)
    with pytest.warns(RuntimeWarning, match="differs from the torch path on this GPU by 1"):
        assert decode_attention.decode_attention("cpu", 16) is TORCH_ATTENTION

    class ForgetsTheStep(Wrong):  # right outputs, but the step's k/v never reach the cache
        def __call__(self, dec, q, li, window, own_bias, k=None, v=None):
            if k is None:
                return TORCH_ATTENTION(dec, q, li, window, own_bias)
            c = dec.cache
            saved = c.own_k[li].clone(), c.own_v[li].clone()
            out = TORCH_ATTENTION(dec, q, li, window, own_bias, k, v)
            c.own_k[li].copy_(saved[0])
            c.own_v[li].copy_(saved[1])
            return out

    monkeypatch.setattr(decode_attention, "TritonAttention", ForgetsTheStep)
    with pytest.warns(RuntimeWarning, match="differs from the torch path on this GPU by inf"):
        assert decode_attention.decode_attention("cpu", 16) is TORCH_ATTENTION


@pytest.mark.parametrize("head_dim", ["16", "64"])
def test_triton_kernel_equals_the_torch_path(run_interpreted, head_dim: str) -> None:
    assert run_interpreted("equals_torch", head_dim).startswith("float32 ")


def test_triton_kernel_reads_no_own_key_after_t(run_interpreted) -> None:
    run_interpreted("reads_no_own_key_after_t")


def test_decoder_with_the_triton_kernel_gives_the_torch_paths_logits(run_interpreted) -> None:
    assert "12 steps equal" in run_interpreted("decoder_steps")


@pytest.mark.gpu
def test_triton_decode_attention_matches_the_torch_path_on_gpu(same_decode_logits) -> None:
    """bf16 on a GPU with CUDA graphs: the kernel is chosen by default, one graph serves every
    step, and its logits equal the torch path's within bf16 rounding through 20 steps."""
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    pytest.importorskip("triton")
    for head_dim in (64, 128):  # the kernels alone, bf16, against the torch path, with several launches
        for launch in (None, (1, 32, 4), (2, 16, 2), (4, 64, 8)):
            diff = decode_attention.compare_with_torch(
                TritonAttention(launch), "cuda", head_dim, torch.bfloat16
            )
            assert diff < 0.05, (head_dim, launch, diff)
    model = _model().cuda().to(torch.bfloat16)
    plain = PrefixSharedDecoder(model, cuda_graphs=True, attention="torch")
    kernel = PrefixSharedDecoder(model, cuda_graphs=True)
    assert kernel.attention.name == TritonAttention.name
    same_decode_logits(plain, kernel)
    assert len(kernel._graphs) == 1 and len(plain._graphs) == 2  # 20 steps: windows 16 and 24
