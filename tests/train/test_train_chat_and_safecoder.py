"""Chat-framed training records and SafeCoder's masked-unlikelihood objective (issue 19)."""

from __future__ import annotations

import math

import pytest
import torch

from seccodegen.train import TrainConfig
from seccodegen.train.config import PairObjectiveSettings
from seccodegen.train.data import Example, collate, tokenize_with_mask
from seccodegen.train.mixing import mix_examples
from seccodegen.train.objectives import OBJECTIVES, Scores

FIXED = "int f(char *s) {\n    if (!s) return -1;\n    return s[0];\n}\n"
VULNERABLE = "int f(char *s) {\n    s += 0;\n    return s[0];\n}\n"  # line 2 replaced by the fix
RECORD = {"text": FIXED, "before": VULNERABLE, "changed_lines": [2], "language": "c",
          "instruction": "Return the first character of s."}  # fmt: skip


def _decode_targets(tokenizer, ids, mask):
    return tokenizer.decode([t for t, m in zip(ids, mask) if m])


def test_chat_frame_makes_only_the_answer_a_target(tiny_tokenizer):
    obj = OBJECTIVES.get("lm")(TrainConfig(chat_template=True))
    (ex,) = obj.examples(RECORD, 0, tiny_tokenizer)
    text = tiny_tokenizer.decode(ex.ids)
    assert "Return the first character of s." in text and "```c\n" in text  # the user turn + fence
    targets = _decode_targets(tiny_tokenizer, ex.ids, ex.targets)
    assert "Return the first" not in targets  # the instruction is context
    assert "return s[0];" in targets and targets.rstrip().endswith("```" + tiny_tokenizer.eos_token)
    plain = OBJECTIVES.get("lm")(TrainConfig(chat_template=False)).examples(RECORD, 0, tiny_tokenizer)[0]
    assert all(plain.targets) and "Return the first" not in tiny_tokenizer.decode(plain.ids)


def test_chat_frame_shifts_changed_line_spans_onto_the_answer(tiny_tokenizer):
    ids, mask = tokenize_with_mask(tiny_tokenizer, FIXED, [(17, 40)], ("HEAD ", "\n```"))
    assert "if (!s) return -1;" in _decode_targets(tiny_tokenizer, ids, mask)
    assert "HEAD" not in _decode_targets(tiny_tokenizer, ids, mask)


def test_masked_unlikelihood_targets_only_changed_tokens_on_both_sides(tiny_tokenizer):
    obj = OBJECTIVES.get("masked-unlikelihood")(TrainConfig(chat_template=True))
    fixed, vuln = obj.examples(RECORD, 3, tiny_tokenizer)
    assert (fixed.side, vuln.side, fixed.group, vuln.group) == ("fixed", "vulnerable", 3, 3)
    assert _decode_targets(tiny_tokenizer, fixed.ids, fixed.targets).strip() == "if (!s) return -1;"
    assert _decode_targets(tiny_tokenizer, vuln.ids, vuln.targets).strip() == "s += 0;"
    # a fix that only inserted lines leaves the vulnerable side nothing to push down: fixed side only
    inserted = {**RECORD, "before": FIXED.replace("    if (!s) return -1;\n", "")}
    assert [e.side for e in obj.examples(inserted, 0, tiny_tokenizer)] == ["fixed"]
    only_deleted = {**RECORD, "text": VULNERABLE, "before": FIXED, "changed_lines": []}
    assert obj.examples(only_deleted, 0, tiny_tokenizer) == []  # nothing changed on the fixed side
    assert not OBJECTIVES.get("masked-unlikelihood").needs_reference  # so full fine-tuning works


def test_masked_unlikelihood_loss_matches_its_formula_by_hand():
    fixed = Example([1, 2, 3], [False, True, False], group=0, side="fixed", changed=[False, True, False])
    vuln = Example([1, 4, 3], [False, True, False], group=0, side="vulnerable", changed=[False, True, False])
    mix = Example([5, 6, 7], [True, True, True], group=1, side="mix")
    batch = collate([[fixed, vuln, mix]], pad_id=0)
    sel = batch.targets != -100
    assert batch.targets[sel].tolist() == [2, 4, 6, 7]
    lp = torch.log(torch.tensor([0.5, 0.2, 0.25, 0.125]))
    scores = Scores(lp, batch.example_index[sel], batch.changed[sel])
    obj = OBJECTIVES.get("masked-unlikelihood")(TrainConfig(pairs=PairObjectiveSettings(unlikelihood_weight=2.0)))
    by_hand = -math.log(0.5) + 2.0 * -math.log(1 - 0.2) - math.log(0.25) - math.log(0.125)
    assert float(obj.loss_sum(scores, batch)) == pytest.approx(by_hand, rel=1e-6)
    assert obj.normaliser(batch) == 3.0  # one fixed changed token + two mixed-in tokens


def test_chat_mixing_trains_on_the_answer_only(tmp_path, tiny_tokenizer):
    mix = tmp_path / "mix.jsonl"
    mix.write_text('{"instruction": "Say hi.", "input": "", "output": "hi there"}\n')
    task = [Example([1, 2], [True, True], group=0)]
    (ex,) = mix_examples(mix, 0.5, 0, task, tiny_tokenizer, chat=True)
    assert "Say hi." in tiny_tokenizer.decode(ex.ids)
    assert _decode_targets(tiny_tokenizer, ex.ids, ex.targets).startswith("hi there")
    (plain,) = mix_examples(mix, 0.5, 0, task, tiny_tokenizer, chat=False)
    assert all(plain.targets)


def test_masked_unlikelihood_trains_end_to_end_with_full_fine_tuning(make_cfg):
    from seccodegen.train import run

    cfg = make_cfg("mul", method="full", objective="masked-unlikelihood", max_steps=2)
    out = run(cfg)
    assert (out / "manifest.json").is_file()
