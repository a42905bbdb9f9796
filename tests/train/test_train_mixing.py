"""Mixing general instruction data (mix_data / mix_ratio) into training."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from seccodegen.errors import InputError
from seccodegen.train import TrainConfig, run
from seccodegen.train.config import PairObjectiveSettings
from seccodegen.train.data import Example, collate
from seccodegen.train.loop import _examples
from seccodegen.train.mixing import draw, instruction_text, load_mix_records, mix_count
from seccodegen.train.objectives import OBJECTIVES, Scores

MIX = Path(__file__).resolve().parents[1] / "fixtures" / "train" / "mix" / "instructions.jsonl"


def test_instruction_records_become_prompt_input_answer_text():
    assert instruction_text({"instruction": "Translate.\n", "input": "Hi", "output": "Salut"}) == (
        "Translate.\n\nHi\n\nSalut"
    )
    assert instruction_text({"instruction": "Dot", "input": "", "output": "."}) == "Dot\n\n."
    assert instruction_text({"text": "already a dataset example"}) == "already a dataset example"


def test_mix_count_makes_the_instruction_share_equal_the_ratio():
    assert mix_count(8, 0.2) == 2  # 2 of 10 records
    assert mix_count(10, 0.5) == 10
    assert mix_count(10, 0.0) == 0
    for task, ratio in [(381, 0.1), (10, 0.25), (7, 0.6)]:
        k = mix_count(task, ratio)
        assert abs(k / (task + k) - ratio) <= 0.5 / (task + k) + 1e-9


def test_draw_is_seeded_and_repeats_only_after_using_every_record():
    records = [{"text": str(i)} for i in range(8)]
    first = draw(records, 8, seed=1)
    assert sorted(r["text"] for r in first) == [str(i) for i in range(8)]
    assert draw(records, 8, seed=1) == first
    assert draw(records, 8, seed=2) != first
    assert len(draw(records, 20, seed=1)) == 20


@pytest.mark.parametrize("objective", ["lm", "dpo"])
def test_training_set_holds_the_configured_share_of_instruction_records(
    objective, tiny_tokenizer, dataset_dir
):
    cfg = TrainConfig(objective=objective, max_seq_len=256, mix_data=str(MIX), mix_ratio=0.3, seed=3)
    data = _examples(
        dataset_dir / "block" / "train.jsonl", cfg, OBJECTIVES.get(objective)(cfg), tiny_tokenizer, mix=True
    )
    task = {e.group for e in data.examples if e.side != "mix"}
    mixed = [e for e in data.examples if e.side == "mix"]
    assert len(mixed) == mix_count(len(task), 0.3) > 0
    assert not task & {e.group for e in mixed}  # own groups: never joined to a pair
    assert all(all(e.targets[1:]) for e in mixed)  # plain lm: every predicted token a target
    # every example is placed in exactly one row
    assert sorted(i for row in data.rows for i in row) == list(range(len(data.examples)))
    plain = _examples(
        dataset_dir / "block" / "train.jsonl", cfg, OBJECTIVES.get(objective)(cfg), tiny_tokenizer
    )
    assert not any(e.side == "mix" for e in plain.examples)  # validation sets are not mixed


def _batch_with_mix():
    fixed = Example([1, 2, 3], [True] * 3, group=0, side="fixed", changed=[False, True, False])
    vuln = Example([1, 4, 3], [True] * 3, group=0, side="vulnerable", changed=[False, True, False])
    mix = Example([1, 5, 6], [True] * 3, group=1, side="mix")
    return collate([[fixed, vuln, mix]], pad_id=0)


def test_unlikelihood_trains_instruction_tokens_with_lm_and_no_kl():
    batch = _batch_with_mix()
    sel = batch.targets != -100
    assert batch.targets[sel].tolist() == [2, 3, 4, 3, 5, 6]
    lp = torch.log(torch.tensor([0.5, 0.25, 0.2, 0.4, 0.1, 0.3]))
    kl = torch.tensor([0.01, 0.02, 0.03, 0.04, 0.5, 0.6])
    scores = Scores(lp, batch.example_index[sel], batch.changed[sel], ref_logprobs=lp * 0, kl=kl)
    obj = OBJECTIVES.get("unlikelihood")(
        TrainConfig(pairs=PairObjectiveSettings(unlikelihood_weight=2.0, kl_weight=3.0))
    )
    pair = (-math.log(0.5) - math.log(0.25)) + 2.0 * (-math.log(1 - 0.2)) + 3.0 * (0.02 + 0.04)
    by_hand = pair - math.log(0.1) - math.log(0.3)  # mix: lm only, its KL (0.5, 0.6) unused
    assert float(obj.loss_sum(scores, batch)) == pytest.approx(by_hand, rel=1e-6)
    assert obj.normaliser(batch) == 4.0  # 2 fixed-side + 2 mix target tokens


def test_dpo_adds_each_instruction_examples_mean_cross_entropy_as_one_unit():
    batch = _batch_with_mix()
    sel = batch.targets != -100
    lp = torch.tensor([-1.0, -2.0, -0.5, -0.7, -3.0, -1.0])
    ref = torch.tensor([-1.5, -2.5, -0.4, -0.6, -9.0, -9.0])
    scores = Scores(lp, batch.example_index[sel], batch.changed[sel], ref_logprobs=ref)
    obj = OBJECTIVES.get("dpo")(TrainConfig(pairs=PairObjectiveSettings(dpo_beta=0.5)))
    chosen, rejected = (-1.0 - 2.0) - (-1.5 - 2.5), (-0.5 - 0.7) - (-0.4 - 0.6)
    by_hand = -math.log(1 / (1 + math.exp(-0.5 * (chosen - rejected)))) + (3.0 + 1.0) / 2
    assert float(obj.loss_sum(scores, batch)) == pytest.approx(by_hand, rel=1e-6)
    assert obj.normaliser(batch) == 2.0  # one pair + one instruction example


@pytest.mark.parametrize("objective,method", [("lm", "lora"), ("dpo", "lora")])
def test_training_with_mixed_data_runs_and_records_the_mix(objective, method, make_cfg):
    out = run(make_cfg(objective=objective, method=method, mix_data=str(MIX), mix_ratio=0.25, max_steps=3))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["outputs"]["train_mix_records"] == mix_count(10, 0.25)
    assert "mix" in manifest["inputs"]
    log = [json.loads(x) for x in (out / "train_log.jsonl").read_text().splitlines()]
    assert all(math.isfinite(r["loss"]) for r in log if "loss" in r)


def test_mix_settings_are_validated(tmp_path):
    with pytest.raises(ValueError, match="mix_ratio"):
        TrainConfig(mix_data=str(MIX), mix_ratio=1.0)
    with pytest.raises(ValueError, match="needs mix_data"):
        TrainConfig(mix_ratio=0.2)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"prompt": "x"}) + "\n")
    with pytest.raises(InputError, match="instruction"):
        load_mix_records(bad)
