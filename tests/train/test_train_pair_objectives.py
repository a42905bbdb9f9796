"""Pair objectives (issue 11): unlikelihood and dpo learn from the vulnerable side too."""

from __future__ import annotations

import json
import math

import pytest
import torch

from seccodegen.errors import ConfigError
from seccodegen.train import LoraSettings, TrainConfig, run
from seccodegen.train.config import PairObjectiveSettings
from seccodegen.train.data import Example, build_packed_set, collate, removed_lines
from seccodegen.train.objectives import OBJECTIVES, Scores

FIXED = "    if (n > 16) { return -1; }\n    memcpy(buf, src, n);\n"
VULNERABLE = "    memcpy(buf, src, n);\n"


def test_removed_lines_marks_the_vulnerable_sides_changed_lines():
    assert removed_lines("a\nb\nc\n", "a\nB\nc\n") == [2]
    assert removed_lines("a\nc\n", "a\nb\nc\n") == []  # a pure insertion removes nothing
    assert removed_lines("a\nb\nc\nd\n", "a\nd\n") == [2, 3]


def _pair_batch():
    fixed = Example([1, 2, 3], [True] * 3, group=0, side="fixed", changed=[False, True, False])
    vuln = Example([1, 4, 3], [True] * 3, group=0, side="vulnerable", changed=[False, True, False])
    return collate([[fixed, vuln]], pad_id=0)


def test_unlikelihood_loss_matches_its_formula_by_hand():
    batch = _pair_batch()
    sel = batch.targets != -100
    # targets in row order: fixed 2, fixed 3, vuln 4, vuln 3; changed flags of the predicted token
    assert batch.targets[sel].tolist() == [2, 3, 4, 3]
    assert batch.changed[sel].tolist() == [True, False, True, False]
    lp = torch.log(torch.tensor([0.5, 0.25, 0.2, 0.4]))
    kl = torch.tensor([0.01, 0.02, 0.03, 0.04])
    scores = Scores(lp, batch.example_index[sel], batch.changed[sel], ref_logprobs=lp * 0, kl=kl)
    cfg = TrainConfig(pairs=PairObjectiveSettings(unlikelihood_weight=2.0, kl_weight=3.0))
    obj = OBJECTIVES.get("unlikelihood")(cfg)
    by_hand = (-math.log(0.5) - math.log(0.25)) + 2.0 * (-math.log(1 - 0.2)) + 3.0 * (0.02 + 0.04)
    assert float(obj.loss_sum(scores, batch)) == pytest.approx(by_hand, rel=1e-6)
    assert obj.normaliser(batch) == 2.0  # fixed-side target tokens


def _dpo_batch_and_scores():
    """One pair; per target token (fixed 2, fixed 3, vuln 4, vuln 3) the policy's and reference's logprobs."""
    batch = _pair_batch()
    sel = batch.targets != -100
    lp = torch.tensor([-1.0, -2.0, -0.5, -0.7])
    ref = torch.tensor([-1.5, -2.5, -0.4, -0.6])
    return batch, Scores(lp, batch.example_index[sel], batch.changed[sel], ref_logprobs=ref)


def test_dpo_loss_matches_its_formula_by_hand():
    batch, scores = _dpo_batch_and_scores()
    obj = OBJECTIVES.get("dpo")(TrainConfig(pairs=PairObjectiveSettings(dpo_beta=0.5)))
    chosen, rejected = (-1.0 - 2.0) - (-1.5 - 2.5), (-0.5 - 0.7) - (-0.4 - 0.6)
    by_hand = -math.log(1 / (1 + math.exp(-0.5 * (chosen - rejected))))
    assert float(obj.loss_sum(scores, batch)) == pytest.approx(by_hand, rel=1e-6)
    assert obj.normaliser(batch) == 1.0  # one pair


def test_dpo_nll_weight_adds_the_fixed_sides_mean_cross_entropy_per_pair():
    batch, scores = _dpo_batch_and_scores()
    plain = OBJECTIVES.get("dpo")(TrainConfig(pairs=PairObjectiveSettings(dpo_beta=0.5)))
    rpo = OBJECTIVES.get("dpo")(TrainConfig(pairs=PairObjectiveSettings(dpo_beta=0.5, dpo_nll_weight=2.0)))
    fixed_mean_nll = (1.0 + 2.0) / 2  # the fixed side's two target tokens; the vulnerable side's do not count
    diff = float(rpo.loss_sum(scores, batch)) - float(plain.loss_sum(scores, batch))
    assert diff == pytest.approx(2.0 * fixed_mean_nll, rel=1e-6)
    with pytest.raises(ValueError, match=">= 0"):
        PairObjectiveSettings(dpo_nll_weight=-1.0)


def test_dpo_kl_weight_adds_each_sides_mean_kl_over_its_unchanged_tokens():
    batch, scores = _dpo_batch_and_scores()
    # changed flags per target token: fixed (True, False), vulnerable (True, False)
    scores.kl = torch.tensor([5.0, 0.2, 7.0, 0.4])
    plain = OBJECTIVES.get("dpo")(TrainConfig(pairs=PairObjectiveSettings(dpo_beta=0.5)))
    kl = OBJECTIVES.get("dpo")(TrainConfig(pairs=PairObjectiveSettings(dpo_beta=0.5, dpo_kl_weight=3.0)))
    assert kl.needs_kl and not plain.needs_kl and kl.needs_reference
    diff = float(kl.loss_sum(scores, batch)) - float(plain.loss_sum(scores, batch))
    assert diff == pytest.approx(3.0 * (0.2 + 0.4), rel=1e-6)  # the changed tokens' KL is free
    scores.kl = torch.tensor([5.0, 0.2, 7.0, 0.4])
    with pytest.raises(ValueError, match=">= 0"):
        PairObjectiveSettings(dpo_kl_weight=-0.5)


def test_pairs_stay_in_one_row_when_packed():
    examples = [
        Example([1] * n, [True] * n, group=g, side=s)
        for g, n in enumerate([30, 20, 10])
        for s in ("fixed", "vulnerable")
    ]
    packed = build_packed_set(examples, 64, packing=True, keep_groups=True)
    for row in packed.rows:
        groups = [packed.examples[i].group for i in row]
        assert all(groups.count(g) == 2 for g in groups)
    assert sorted(i for r in packed.rows for i in r) == list(range(6))


def _margin(model_dir, adapter, tokenizer) -> float:
    """log p(fixed) - log p(vulnerable) of the whole texts."""
    from seccodegen.models.loader import load_model

    model = load_model(str(model_dir), adapter=str(adapter) if adapter else None, dtype="float32").eval()
    total = []
    for text in (FIXED, VULNERABLE):
        ids = torch.tensor([tokenizer(text)["input_ids"] + [tokenizer.eos_token_id]])
        with torch.no_grad():
            logp = model(input_ids=ids).logits[0, :-1].log_softmax(-1)
        total.append(float(logp.gather(-1, ids[0, 1:, None]).sum()))
    return total[0] - total[1]


@pytest.mark.parametrize(
    ("objective", "method"),
    [("dpo", "lora"), ("unlikelihood", "lora"), pytest.param("dpo", "ia3", marks=pytest.mark.slow)],
)
def test_a_few_steps_move_probability_from_vulnerable_to_fixed(
    objective, method, tiny_model_dir, tiny_tokenizer, tmp_path
):
    data = tmp_path / "pair.jsonl"
    data.write_text(json.dumps({"text": FIXED, "before": VULNERABLE, "changed_lines": [1]}) + "\n")
    cfg = TrainConfig(
        model=str(tiny_model_dir),
        data=str(data),
        out=str(tmp_path / objective),
        method=method,
        objective=objective,
        max_seq_len=64,
        batch_size=1,
        epochs=8,
        lr=2e-2 if method == "lora" else 6e-2,  # IA3 has far fewer parameters to move
        schedule="constant",
        log_every=1,
        save_every=0,
        lora=LoraSettings(dropout=0.0),
    )
    out = run(cfg)
    before, after = (
        _margin(tiny_model_dir, None, tiny_tokenizer),
        _margin(tiny_model_dir, out, tiny_tokenizer),
    )
    assert after > before + 1.0, (before, after)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "finished" and manifest["outputs"]["steps"] == 8


def _unchanged_kl(model_dir, adapter, tokenizer) -> float:
    """Mean KL(base || tuned) per position of the vulnerable text, which the fix left unchanged."""
    from seccodegen.models.loader import load_model

    ids = torch.tensor([tokenizer(VULNERABLE)["input_ids"] + [tokenizer.eos_token_id]])
    dists = []
    for a in (None, adapter):
        model = load_model(str(model_dir), adapter=str(a) if a else None, dtype="float32").eval()
        with torch.no_grad():
            dists.append(model(input_ids=ids).logits[0, :-1].log_softmax(-1))
    base, tuned = dists
    return float((base.exp() * (base - tuned)).sum(-1).mean())


def test_dpo_kl_term_keeps_the_unchanged_code_closer_to_the_base_model(
    tiny_model_dir, tiny_tokenizer, tmp_path
):
    data = tmp_path / "pair.jsonl"
    data.write_text(json.dumps({"text": FIXED, "before": VULNERABLE, "changed_lines": [1]}) + "\n")
    outs = {}
    for name, weight in (("plain", 0.0), ("kl", 5.0)):
        cfg = TrainConfig(
            model=str(tiny_model_dir), data=str(data), out=str(tmp_path / name), method="lora",
            objective="dpo", max_seq_len=64, batch_size=1, epochs=8, lr=2e-2, schedule="constant",
            save_every=0, lora=LoraSettings(dropout=0.0), pairs=PairObjectiveSettings(dpo_kl_weight=weight),
        )
        outs[name] = run(cfg)
    plain, kl = (_unchanged_kl(tiny_model_dir, outs[n], tiny_tokenizer) for n in ("plain", "kl"))
    assert kl < 0.5 * plain, (plain, kl)
    before = _margin(tiny_model_dir, None, tiny_tokenizer)
    assert _margin(tiny_model_dir, outs["kl"], tiny_tokenizer) > before + 1.0  # still learns the fix


def test_dpo_with_kl_trains_the_same_with_compiled_layers(tiny_model_dir, tmp_path, monkeypatch):
    """The reference pass switches the adapter off inside the compiled layers (another graph)."""
    from seccodegen.train import model_setup

    monkeypatch.setattr(model_setup, "COMPILE_OPTIONS", {"backend": "aot_eager"})  # no C compile on CPU
    data = tmp_path / "pair.jsonl"
    data.write_text(json.dumps({"text": FIXED, "before": VULNERABLE, "changed_lines": [1]}) + "\n")
    losses = []
    for compiled in (False, True):
        torch._dynamo.reset()
        cfg = TrainConfig(
            model=str(tiny_model_dir), data=str(data), out=str(tmp_path / f"c{compiled}"), method="lora",
            objective="dpo", max_seq_len=64, batch_size=1, epochs=3, lr=2e-2, schedule="constant",
            save_every=0, log_every=1, lora=LoraSettings(dropout=0.0),
            pairs=PairObjectiveSettings(dpo_kl_weight=1.0), compile_layers=compiled,
        )  # fmt: skip
        out = run(cfg)
        losses.append([json.loads(x)["loss"] for x in (out / "train_log.jsonl").read_text().splitlines()])
    assert len(losses[0]) == 3 and losses[0][-1] != losses[0][0]  # it trained
    assert losses[1] == pytest.approx(losses[0], rel=1e-4)


def test_pair_objectives_need_an_adapter_method(tiny_model_dir, dataset_dir, tmp_path):
    with pytest.raises(ConfigError, match="adapter method"):
        run(
            TrainConfig(
                model=str(tiny_model_dir),
                data=str(dataset_dir),
                out=str(tmp_path / "x"),
                method="full",
                objective="dpo",
            )
        )


def test_pair_objective_trains_on_a_dataset_dir_with_validation(make_cfg):
    out = run(make_cfg(method="lora", objective="unlikelihood", max_steps=2))
    log = [json.loads(x) for x in (out / "train_log.jsonl").read_text().splitlines()]
    assert len(log) == 2 and log[-1]["val_loss"] > 0
    assert (out / "adapter_model.safetensors").is_file()
