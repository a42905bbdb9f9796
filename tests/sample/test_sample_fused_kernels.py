"""The decode step's fused kernels: when they are chosen, and that they compute what the model's
own modules compute (GPU)."""

from __future__ import annotations

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from seccodegen.errors import ModelLoadError
from seccodegen.sample import fused_kernels
from seccodegen.sample.fused_kernels import MODEL_MODULES, decode_kernels
from seccodegen.sample.prefix_decoder import PrefixSharedDecoder


def _model(hidden_act: str = "silu") -> LlamaForCausalLM:
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=300, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                      hidden_act=hidden_act)  # fmt: skip
    return LlamaForCausalLM(cfg).eval()


def test_on_cpu_the_decoder_uses_the_models_own_modules() -> None:
    model = _model()
    assert decode_kernels(model, None) is None
    assert PrefixSharedDecoder(model, cuda_graphs=False).kernels is MODEL_MODULES


def test_required_fused_kernels_that_cannot_run_are_a_one_line_error() -> None:
    with pytest.raises(
        ModelLoadError,
        match=r"fused decode kernels requested \(fused_kernels: true\), but the model is not on a GPU",
    ):
        PrefixSharedDecoder(_model(), cuda_graphs=False, fused_kernels=True)


def test_a_model_whose_layout_does_not_fit_keeps_its_own_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _model(hidden_act="gelu")
    assert fused_kernels._fusable(model) == "activation 'gelu' is not silu"
    assert fused_kernels._fusable(_model()) is None
    # as if on a GPU with liger-kernel installed: the layout still decides
    monkeypatch.setattr(fused_kernels, "liger_available", lambda: True)
    monkeypatch.setattr(fused_kernels, "_on_gpu", lambda m: True)
    assert decode_kernels(model, None) is None
    with pytest.raises(ModelLoadError, match="activation 'gelu' is not silu"):
        decode_kernels(model, True)
    monkeypatch.setattr(fused_kernels, "liger_available", lambda: False)
    with pytest.raises(ModelLoadError, match="pip install liger-kernel"):
        decode_kernels(_model(), True)


def test_model_modules_rope_is_hf_rope() -> None:
    from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

    gen = torch.Generator().manual_seed(1)
    q, k = torch.randn(3, 4, 2, 16, generator=gen), torch.randn(3, 2, 2, 16, generator=gen)
    cos, sin = torch.randn(3, 2, 16, generator=gen), torch.randn(3, 2, 16, generator=gen)
    for ours, theirs in zip(MODEL_MODULES.rope(q, k, cos, sin), apply_rotary_pos_emb(q, k, cos, sin)):
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0)


@pytest.mark.gpu
def test_fused_decode_steps_match_the_models_modules_on_gpu(same_decode_logits) -> None:
    """liger-kernel's RMSNorm, RoPE and SiLU*up give the model's own modules' logits (bf16
    rounding aside), through prefill and 20 decode steps with CUDA graphs."""
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    if not fused_kernels.liger_available():
        pytest.skip("liger-kernel is not installed")
    model = _model().cuda().to(torch.bfloat16)
    plain = PrefixSharedDecoder(model, cuda_graphs=True, fused_kernels=False)
    fused = PrefixSharedDecoder(model, cuda_graphs=True, fused_kernels=True)
    assert fused.kernels is not MODEL_MODULES
    same_decode_logits(plain, fused)


class _BrokenKernels:
    name = "broken"

    def rms_norm(self, norm, x):
        raise RuntimeError("Triton: no kernel image for this GPU\nmore detail")

    def rope(self, q, k, cos, sin):  # pragma: no cover - never reached
        return q, k

    def mlp(self, mlp, x):  # pragma: no cover
        return mlp(x)

    def add_rms_norm(self, norm, x, residual):  # pragma: no cover
        return MODEL_MODULES.add_rms_norm(norm, x, residual)


class _WrongKernels(_BrokenKernels):
    def rms_norm(self, norm, x):
        return norm(x) + 1.0

    def mlp(self, mlp, x):
        return mlp(x)


def test_kernels_that_fail_on_this_gpu_fall_back_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fused_kernels, "liger_available", lambda: True)
    monkeypatch.setattr(fused_kernels, "_on_gpu", lambda m: True)
    model = _model()
    monkeypatch.setattr(fused_kernels, "LigerDecodeKernels", _BrokenKernels)
    with pytest.warns(RuntimeWarning, match=r"they fail on this GPU \(RuntimeError: Triton: no kernel image"):
        assert decode_kernels(model, None) is None
    with pytest.raises(ModelLoadError, match="but they fail on this GPU"):
        decode_kernels(model, True)
    monkeypatch.setattr(fused_kernels, "LigerDecodeKernels", _WrongKernels)
    with pytest.warns(RuntimeWarning, match="their result differs from the model's modules"):
        assert decode_kernels(model, None) is None


class _WrongAddKernels(type(MODEL_MODULES)):
    wrong = True

    def add_rms_norm(self, norm, x, residual):  # the sum right, the norm after it not
        normed, total = MODEL_MODULES.add_rms_norm(norm, x, residual)
        return (normed * 2.0 if self.wrong else normed), total

    def drop_add_norm(self):
        self.wrong = False


def test_a_wrong_fused_add_and_norm_is_dropped_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _model()
    assert fused_kernels._self_check(model, _WrongAddKernels()) is None  # the other kernels are right
    assert "differs" in fused_kernels._self_check(model, _WrongAddKernels(), add_norm=True)
    monkeypatch.setattr(fused_kernels, "liger_available", lambda: True)
    monkeypatch.setattr(fused_kernels, "_on_gpu", lambda m: True)
    monkeypatch.setattr(fused_kernels, "LigerDecodeKernels", _WrongAddKernels)
    with pytest.warns(RuntimeWarning, match="fused add \\+ RMSNorm not used: their result differs"):
        kernels = decode_kernels(model, None)
    assert isinstance(kernels, _WrongAddKernels) and not kernels.wrong  # kept, without that fusion


def test_kernels_that_agree_with_the_model_pass_the_self_check() -> None:
    # the model's own modules as "fused" kernels: the check runs every op and finds no difference
    assert fused_kernels._self_check(_model(), MODEL_MODULES) is None


def test_sample_config_requiring_fused_kernels_on_cpu_is_a_one_line_error(tiny_model_dir, tmp_path) -> None:
    from seccodegen.sample import stage
    from seccodegen.sample.config import SampleConfig

    cfg = SampleConfig(model=str(tiny_model_dir), out=str(tmp_path / "s"), device="cpu", n=1,
                       max_new_tokens=2, scenario_ids=("c/cwe-787/join-tags",), fused_kernels=True)  # fmt: skip
    with pytest.raises(ModelLoadError, match=r"\(fused_kernels: true\), but the model is not on a GPU"):
        stage.run(cfg)
