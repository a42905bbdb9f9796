"""Engines: our hf loop (both steppers), hf-generate, a fake vLLM, stops, seeds."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from seccodegen.sample.engine import ENGINES, Completion, cut_at_stop, load_backends, make_engine

PROMPTS = ["int main(int argc, char *argv[]) {\n    char buf[", "def handler(request):\n    path ="]


@pytest.fixture()
def hf_engine(tiny_hf_engine):
    return tiny_hf_engine


def test_backends_are_registered() -> None:
    assert {"hf", "hf-generate", "vllm"} <= set(load_backends().names())


def test_prefix_decoder_and_hf_forward_give_the_same_samples(hf_engine) -> None:
    from seccodegen.sample.hf_engine import HFEngine

    assert hf_engine.use_prefix_decoder
    plain = HFEngine(hf_engine.lm, hf_engine.tokenizer, "cpu", prefix_sharing=False)
    ours = hf_engine.generate(PROMPTS, 3, 0.8, 0.9, 12, seed=5)
    assert plain.generate(PROMPTS, 3, 0.8, 0.9, 12, seed=5) == ours
    assert all(len(per) == 3 and all(isinstance(c, Completion) for c in per) for per in ours)


def test_samples_do_not_depend_on_batch_size_or_offsets(hf_engine) -> None:
    from seccodegen.sample.hf_engine import HFEngine

    whole = hf_engine.generate(PROMPTS, 4, 0.8, 0.9, 8, seed=1, prompt_seeds=[11, 22])
    small = HFEngine(hf_engine.lm, hf_engine.tokenizer, "cpu", max_batch=3)
    assert small.generate(PROMPTS, 4, 0.8, 0.9, 8, seed=1, prompt_seeds=[11, 22]) == whole
    # samples 2..3 drawn on their own equal samples 2..3 of the whole draw
    tail = hf_engine.generate(PROMPTS[:1], 2, 0.8, 0.9, 8, seed=1, prompt_seeds=[11], sample_offsets=[2])
    assert tail[0] == whole[0][2:]
    other = hf_engine.generate(PROMPTS, 4, 0.8, 0.9, 8, seed=1, prompt_seeds=[12, 22])
    assert other[0] != whole[0] and other[1] == whole[1]


def test_stop_strings_end_sequences_and_are_cut(hf_engine) -> None:
    free = hf_engine.generate(PROMPTS, 3, 1.0, 1.0, 16, seed=3)
    stop = ["e"]  # common in the tiny BPE: most samples hit it
    stopped = hf_engine.generate(PROMPTS, 3, 1.0, 1.0, 16, seed=3, stop=stop)
    hits = 0
    for per_free, per_stop in zip(free, stopped):
        for f, s in zip(per_free, per_stop):
            assert "e" not in s.text
            if s.finish_reason == "stop":
                hits += 1
                assert f.text.startswith(s.text) and "e" in f.text
                assert s.completion_tokens <= f.completion_tokens
            else:
                assert s == f  # no stop: the same sample, same tokens
    assert hits > 0


def test_stop_check_ends_a_sequence_early(hf_engine) -> None:
    seen = []

    def check(prompt_index: int, text: str) -> bool:
        seen.append(prompt_index)
        return len(text) >= 5

    out = hf_engine.generate(PROMPTS, 2, 0.8, 0.9, 40, seed=0, stop_check=check)
    assert set(seen) == {0, 1}
    assert all(c.finish_reason in ("stop", "eos") for per in out for c in per)
    assert all(c.completion_tokens < 40 for per in out for c in per)


def test_eos_and_stop_rules() -> None:
    from seccodegen.sample.decode_loop import StopRules

    rules = StopRules(decode=lambda g, ids: "".join(chr(97 + i) for i in ids), eos_ids=frozenset({9}))
    assert rules.scan(0, [1, 2, 9, 3], 0) == (2, "eos")
    assert rules.scan(0, [1, 2, 3], 1) is None
    with_stop = StopRules(decode=rules.decode, eos_ids=frozenset({9}), stop=("cd",))
    assert with_stop.scan(0, [0, 1, 2, 3, 4], 2) == (4, "stop")  # 'abcd' ends at the 4th token
    assert with_stop.scan(0, [0, 9], 0) == (1, "eos")
    assert cut_at_stop("ab}cd}", ["cd", "}"]) == ("ab", True)


def test_hf_generate_backend(tiny_model_dir: Path) -> None:
    engine = make_engine(str(tiny_model_dir), backend="hf-generate", device="cpu", max_batch=4)
    out = engine.generate(PROMPTS, 3, 0.8, 0.9, 8, seed=0, stop=["\n"])
    assert [len(per) for per in out] == [3, 3]
    for per in out:
        for c in per:
            assert "\n" not in c.text and c.finish_reason in ("stop", "eos", "length")
            assert c.completion_tokens <= 8 and c.prompt_tokens > 0
    assert engine.generate(PROMPTS, 3, 0.8, 0.9, 8, seed=0, stop=["\n"]) == out  # seeded


def _fake_vllm(calls: list) -> types.ModuleType:
    vllm = types.ModuleType("vllm")

    class SamplingParams:
        def __init__(self, **kw):
            self.__dict__.update(kw)

    class LLM:
        def __init__(self, model, dtype="auto", **kw):
            calls.append(("init", model, kw))

        def get_tokenizer(self):
            return None

        def generate(self, prompts, params, **kw):
            calls.append(("generate", prompts, params, kw))
            outs = []
            for prompt, p in zip(prompts, params):
                comps = [
                    types.SimpleNamespace(
                        text=f"x{j}",
                        token_ids=[1] * (j + 1),
                        finish_reason="length" if j else "stop",
                        stop_reason=None,
                    )
                    for j in range(p.n)
                ]
                outs.append(types.SimpleNamespace(prompt_token_ids=[0] * len(prompt), outputs=comps))
            return outs

    vllm.LLM, vllm.SamplingParams = LLM, SamplingParams
    lora_mod = types.ModuleType("vllm.lora")
    request_mod = types.ModuleType("vllm.lora.request")
    request_mod.LoRARequest = lambda name, idx, path: ("lora", name, idx, path)
    return vllm, lora_mod, request_mod


def test_fake_vllm_behind_the_same_interface(
    monkeypatch: pytest.MonkeyPatch, tiny_model_dir: Path, tmp_path: Path
) -> None:
    calls: list = []
    vllm, lora_mod, request_mod = _fake_vllm(calls)
    monkeypatch.setitem(sys.modules, "vllm", vllm)
    monkeypatch.setitem(sys.modules, "vllm.lora", lora_mod)
    monkeypatch.setitem(sys.modules, "vllm.lora.request", request_mod)
    adapter = tmp_path / "lora"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text('{"r": 32}')
    engine = make_engine(str(tiny_model_dir), adapter=str(adapter), backend="vllm")
    out = engine.generate(["ab", "cde"], 2, 0.8, 0.9, 16, seed=7, stop=["}"], prompt_seeds=[1, 2])
    assert out == [
        [Completion("x0", "eos", 2, 1), Completion("x1", "length", 2, 2)],
        [Completion("x0", "eos", 3, 1), Completion("x1", "length", 3, 2)],
    ]
    init = calls[0]
    assert init[2]["enable_lora"] and init[2]["max_lora_rank"] == 32
    _, prompts, params, kw = calls[1]
    assert prompts == ["ab", "cde"] and kw["lora_request"][0] == "lora"
    assert [p.max_tokens for p in params] == [16, 16] and params[0].stop == ["}"]
    assert params[0].seed != params[1].seed  # each prompt its own seed


def test_vllm_missing_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from seccodegen.errors import ModelLoadError

    monkeypatch.setitem(sys.modules, "vllm", None)  # import vllm -> ImportError
    with pytest.raises(ModelLoadError, match="needs vLLM"):
        ENGINES.get("vllm")(model="x/y")


@pytest.mark.gpu
def test_gpu_samples_are_byte_identical_to_eager_mode(tiny_model_dir: Path) -> None:
    """On a GPU, the CUDA-graph decode gives the same completion texts as the same decoder run
    eagerly, for a fixed seed (docs/performance.md records the run). Equality with HF's own
    forward is a CPU test only: on a GPU the two pick different attention kernels, whose
    float sums differ in the last bits, so sampled texts part after a few tokens."""
    import importlib.util

    import torch

    from seccodegen.sample import fused_kernels
    from seccodegen.sample.decode_attention import TritonAttention
    from seccodegen.sample.hf_engine import HFEngine
    from seccodegen.sample.sampler import KernelSampler

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    graphed = make_engine(str(tiny_model_dir), backend="hf", device="cuda")
    assert graphed.use_prefix_decoder
    eager = HFEngine(graphed.lm, graphed.tokenizer, "cuda", cuda_graphs=False)
    ours = graphed.generate(PROMPTS, 6, 0.8, 0.9, 24, seed=7)
    assert graphed._decoder.cuda_graphs  # the graph path really ran
    assert eager.generate(PROMPTS, 6, 0.8, 0.9, 24, seed=7) == ours
    assert graphed.decode_kernels == eager.decode_kernels
    if fused_kernels.liger_available():  # both paths ran the fused decode kernels
        assert graphed.decode_kernels.startswith(fused_kernels.LigerDecodeKernels.name)
    if importlib.util.find_spec("triton") is not None:  # and the Triton decode attention
        assert f"attention: {TritonAttention.name}, sampling: {KernelSampler.name}" in graphed.decode_kernels
