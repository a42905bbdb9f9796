"""End-to-end training runs on the tiny model: methods, loss, reload, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from seccodegen.train import LoraSettings, run


def _log(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "train_log.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("method", ["full", "lora", "ia3", "dora"])
def test_each_method_trains_a_few_steps_from_a_dataset_file(make_cfg, dataset_dir, method):
    cfg = make_cfg(method, method=method, data=str(dataset_dir / "block" / "train.jsonl"), max_steps=3)
    out = run(cfg)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "finished" and manifest["outputs"]["steps"] == 3
    log = _log(out)
    assert [r["step"] for r in log] == [1, 2, 3]
    assert all(r["loss"] > 0 and r["tokens_per_s"] > 0 for r in log)
    assert "val_loss" in log[-1]  # val.jsonl beside the train file
    assert (out / "tokenizer.json").is_file()
    if method == "full":
        assert (out / "config.json").is_file() and (out / "model.safetensors").is_file()
    else:
        peft_type = json.loads((out / "adapter_config.json").read_text())["peft_type"]
        assert peft_type == {"dora": "LORA"}.get(method, method.upper())
    assert not (out / "checkpoints").exists()


def test_loss_decreases_on_a_repeated_batch(make_cfg, dataset_dir, tmp_path):
    one = tmp_path / "one.jsonl"
    one.write_text((dataset_dir / "block" / "train.jsonl").read_text().splitlines()[0] + "\n")
    cfg = make_cfg(
        data=str(one), method="lora", lr=1e-2, schedule="constant", epochs=12, max_steps=12, batch_size=1
    )
    losses = [r["loss"] for r in _log(run(cfg))]
    assert len(losses) == 12
    # a random 2-layer model with rank-8 attention adapters learns slowly: ~6.2 -> ~5.8 nats
    assert losses[-1] < losses[0] - 0.2
    assert sum(losses[-3:]) < sum(losses[:3]) - 0.3


def test_saved_adapter_reloads_with_identical_logits(make_cfg, tiny_tokenizer):
    from peft import PeftModel

    from seccodegen.models.loader import load_model
    from seccodegen.models.peft_compat import quiet_peft_deprecation
    from seccodegen.train.config import resolve
    from seccodegen.train.data import Example, collate, tokenize_with_mask
    from seccodegen.train.distributed import init_layout
    from seccodegen.train.methods import METHODS
    from seccodegen.train.model_setup import export_trained, load_trainable_model
    from seccodegen.train.scoring import TargetLogprobs

    cfg = resolve(make_cfg(lr=5e-2))
    layout, method = init_layout(), METHODS.get("lora")
    model = load_trainable_model(cfg, method, layout)
    scorer = TargetLogprobs(model)
    ex = Example(*tokenize_with_mask(tiny_tokenizer, "free(ptr);\nptr = NULL;\n", None))
    batch = collate([[ex]], tiny_tokenizer.pad_token_id)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    for _ in range(3):
        (-scorer(batch.input_ids, batch.position_ids, batch.targets).sum()).backward()
        opt.step()
        opt.zero_grad()
    out = Path(cfg.out)
    out.mkdir()
    export_trained(scorer, tiny_tokenizer, out, method, layout)
    model.eval()
    with torch.no_grad():
        trained = model(input_ids=batch.input_ids).logits
        with quiet_peft_deprecation():  # peft's own read of a deprecated transformers name
            reloaded = PeftModel.from_pretrained(load_model(cfg.model, dtype="float32"), out).eval()
        again = reloaded(input_ids=batch.input_ids).logits
        base = load_model(cfg.model, dtype="float32")(input_ids=batch.input_ids).logits
        via_loader = load_model(str(out), dtype="float32")(input_ids=batch.input_ids).logits
    assert torch.equal(trained, again)
    assert torch.equal(trained, via_loader)
    assert not torch.allclose(trained, base)  # the adapter changed the model


def test_full_checkpoint_reloads_with_identical_logits(make_cfg):
    from transformers import AutoModelForCausalLM

    from seccodegen.train.data import Example, collate

    out = run(make_cfg(method="full", lr=1e-3, max_steps=2))
    batch = collate([[Example([5, 6, 7, 8], [True] * 4)]], 0)
    a = AutoModelForCausalLM.from_pretrained(out).eval()
    b = AutoModelForCausalLM.from_pretrained(make_cfg().model).eval()
    with torch.no_grad():
        la, lb = a(input_ids=batch.input_ids).logits, b(input_ids=batch.input_ids).logits
    assert not torch.allclose(la, lb)


class SimulatedKill(Exception):
    pass


def test_resume_after_kill_gives_the_same_final_weights(make_cfg):
    common = {"method": "lora", "max_steps": 6, "save_every": 2, "batch_size": 1, "lr": 1e-2}
    straight = run(make_cfg("straight", **common))

    def kill_at_3(step: int, tokens: int) -> None:
        if step == 3:
            raise SimulatedKill()

    cfg = make_cfg("killed", **common)
    with pytest.raises(SimulatedKill):
        run(cfg, on_step=kill_at_3)
    assert json.loads((Path(cfg.out) / "manifest.json").read_text())["status"] == "running"
    assert (Path(cfg.out) / "checkpoints" / "step-0000002" / "state.pt").is_file()
    resumed = run(cfg)
    manifest = json.loads((resumed / "manifest.json").read_text())
    assert manifest["outputs"]["resumed_from_step"] == 2
    a = load_file(straight / "adapter_model.safetensors")
    b = load_file(resumed / "adapter_model.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [r["step"] for r in _log(resumed)] == [1, 2, 3, 4, 5, 6]
    assert [r["loss"] for r in _log(resumed)] == pytest.approx([r["loss"] for r in _log(straight)], rel=1e-6)


def test_finished_output_is_not_overwritten_without_force(make_cfg):
    from seccodegen.errors import ArtifactError

    cfg = make_cfg(method="ia3", max_steps=1)
    run(cfg)
    with pytest.raises(ArtifactError, match="--force"):
        run(cfg)
    assert run(cfg, force=True).is_dir()


def test_qlora_without_bitsandbytes_or_cuda_fails_in_one_line(make_cfg):
    from seccodegen.train.methods import MethodUnavailableError

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(MethodUnavailableError) as err:
        run(make_cfg(method="qlora"))
    assert "\n" not in str(err.value) and "qlora" in str(err.value)


def test_speed_options_do_not_change_the_result(make_cfg):
    """Gradient checkpointing and the plain-logits loss path reach the same weights as the default."""
    common = {"method": "lora", "max_steps": 2, "lr": 1e-2, "lora": LoraSettings(dropout=0.0)}
    default = run(make_cfg("default", **common))
    other = run(make_cfg("other", gradient_checkpointing=True, chunked_ce=False, **common))
    a = load_file(default / "adapter_model.safetensors")
    b = load_file(other / "adapter_model.safetensors")
    assert all(torch.allclose(a[k], b[k], atol=2e-5) for k in a)  # float32 rounding, weights ~0.1
    assert any(float(v.abs().max()) > 0 for k, v in a.items() if "lora_B" in k)  # it did train


def test_training_and_loading_an_adapter_warn_of_nothing_a_user_cannot_fix(make_cfg, tiny_model_dir):
    """transformers 5.x deprecates gradient checkpointing's names, which peft still reads: the run
    uses the new names and silences peft's read, so a user's log shows no FutureWarning of ours."""
    import warnings

    from seccodegen.models.loader import load_model

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = run(make_cfg("ckpt", method="lora", max_steps=1, gradient_checkpointing=True))
        load_model(str(tiny_model_dir), adapter=str(out))
    checkpointing = [str(w.message) for w in seen if "checkpointing" in str(w.message)]
    assert checkpointing == []


@pytest.mark.parametrize("method", ["lora", "full"])
def test_compiled_layers_train_like_eager_ones_and_export_the_same_keys(
    make_cfg, dataset_dir, method, monkeypatch
):
    from seccodegen.train import model_setup

    compiled: list[int] = []
    real = model_setup.compile_decoder_layers
    monkeypatch.setattr(model_setup, "COMPILE_OPTIONS", {"backend": "aot_eager"})  # no C compile on CPU

    def compile_and_count(model):
        count = real(model)
        compiled.append(sum(getattr(x, "_compiled_call_impl", None) is not None for x in model.modules()))
        return count

    monkeypatch.setattr("seccodegen.train.loop.compile_decoder_layers", compile_and_count)
    data = str(dataset_dir / "block" / "train.jsonl")
    eager = run(make_cfg(f"{method}-eager", method=method, data=data, max_steps=3))
    torch._dynamo.reset()
    comp = run(make_cfg(f"{method}-compiled", method=method, data=data, max_steps=3, compile_layers=True))
    assert compiled == [2]  # both decoder layers of the tiny model, compiled in place
    eager_loss = [r["loss"] for r in _log(eager)]
    comp_loss = [r["loss"] for r in _log(comp)]
    assert comp_loss == pytest.approx(eager_loss, rel=1e-4)
    weights = "model.safetensors" if method == "full" else "adapter_model.safetensors"
    a, b = load_file(eager / weights), load_file(comp / weights)
    assert a.keys() == b.keys()  # in-place compile leaves no _orig_mod prefix in the saved names
    assert all(torch.allclose(a[k], b[k], atol=1e-4) for k in a)


def test_compile_layers_names_the_model_without_a_decoder_layer_list():
    from seccodegen.errors import ModelLoadError
    from seccodegen.train.model_setup import compile_decoder_layers

    with pytest.raises(ModelLoadError, match="compile_layers"):
        compile_decoder_layers(torch.nn.Linear(2, 2))
