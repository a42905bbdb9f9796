"""Tokenization, changed-line masks, packing and collation of the train stage."""

from __future__ import annotations

import json

import pytest
import torch

from seccodegen.errors import InputError
from seccodegen.train.data import (
    IGNORE,
    Example,
    build_packed_set,
    changed_char_spans,
    collate,
    pack_rows,
    resolve_data_files,
    split_windows,
    tokenize_with_mask,
)
from seccodegen.train.objectives import OBJECTIVES


def test_pack_rows_fits_every_example_once():
    lengths = [50, 10, 30, 64, 5, 20, 33, 2, 60, 7]
    rows = pack_rows(lengths, 64, packing=True)
    placed = sorted(i for row in rows for i in row)
    assert placed == list(range(len(lengths)))
    assert all(sum(lengths[i] for i in row) <= 64 for row in rows)
    assert len(rows) < len(lengths)  # short samples share rows
    assert pack_rows(lengths, 64, packing=False) == [[i] for i in range(len(lengths))]


def test_split_windows_keeps_all_tokens_and_never_targets_a_window_start():
    ex = Example(list(range(10)), [True] * 10)
    windows = split_windows(ex, 4)
    assert [w.ids for w in windows] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert all(w.targets[0] is False for w in windows)


def test_collate_targets_stay_inside_each_sample():
    a = Example([5, 6, 7], [True, True, True])
    b = Example([8, 9], [True, True])
    batch = collate([[a, b], [b]], pad_id=0)
    assert batch.input_ids.tolist() == [[5, 6, 7, 8, 9], [8, 9, 0, 0, 0]]
    assert batch.position_ids.tolist() == [[0, 1, 2, 0, 1], [0, 1, 0, 1, 2]]
    # position 2 (last of a) must not predict 8 (first of b); padding has no targets
    assert batch.targets.tolist() == [[6, 7, IGNORE, 9, IGNORE], [9, IGNORE, IGNORE, IGNORE, IGNORE]]
    assert batch.real_tokens == 7


def test_masked_lm_masks_exactly_the_changed_line_tokens(tiny_tokenizer, dataset_dir):
    rec = json.loads((dataset_dir / "block" / "train.jsonl").read_text().splitlines()[2])
    text, changed = rec["text"], rec["changed_lines"]
    assert changed == [2, 4]
    (ex,) = OBJECTIVES.get("masked-lm")().examples(rec, 0, tiny_tokenizer)
    enc = tiny_tokenizer(text, return_offsets_mapping=True)
    offsets = enc["offset_mapping"]
    assert ex.ids[: len(offsets)] == enc["input_ids"] and ex.ids[-1] == tiny_tokenizer.eos_token_id
    lines = text.splitlines(keepends=True)
    line_of_char = [n for n, line in enumerate(lines, 1) for _ in line]
    for (start, end), target in zip(offsets, ex.targets):
        token_lines = set(line_of_char[start:end])
        assert target == bool(token_lines & set(changed)), (text[start:end], token_lines)
    # every visible character of a changed line is inside some target token
    covered = {c for (s, e), t in zip(offsets, ex.targets) if t for c in range(s, e)}
    for s, e in changed_char_spans(text, changed):
        assert all(c in covered for c in range(s, e) if not text[c].isspace())
    assert ex.targets[-1] is False  # EOS is not a changed-line token
    # the plain objective targets every token
    (plain,) = OBJECTIVES.get("lm")().examples(rec, 0, tiny_tokenizer)
    assert all(plain.targets) and plain.ids == ex.ids


def test_masked_lm_batch_targets_only_changed_tokens(tiny_tokenizer, dataset_dir):
    recs = [json.loads(x) for x in (dataset_dir / "block" / "train.jsonl").read_text().splitlines()]
    obj = OBJECTIVES.get("masked-lm")()
    examples = [e for i, r in enumerate(recs) for e in obj.examples(r, i, tiny_tokenizer)]
    packed = build_packed_set(examples, 64, packing=True)
    batch = packed.batch(list(range(len(packed.rows))), tiny_tokenizer.pad_token_id)
    assert int((batch.targets != IGNORE).sum()) == packed.target_tokens
    n_changed = sum(sum(t for t in e.targets[1:]) for e in packed.examples)
    assert packed.target_tokens == n_changed > 0


def test_tokenize_without_spans_targets_all(tiny_tokenizer):
    ids, mask = tokenize_with_mask(tiny_tokenizer, "int x = 1;\n", None)
    assert all(mask) and ids[-1] == tiny_tokenizer.eos_token_id


def test_resolve_data_files(dataset_dir, tmp_path):
    train, val = resolve_data_files(str(dataset_dir), "block", None)
    assert train.name == "train.jsonl" and val is not None and val.name == "val.jsonl"
    train2, val2 = resolve_data_files(str(train), "block", None)
    assert (train2, val2) == (train, val)
    with pytest.raises(InputError, match="line/train.jsonl"):
        resolve_data_files(str(dataset_dir), "line", None)


def test_packed_rows_score_like_separate_samples(tiny_model, tiny_tokenizer):
    """Packing must not let a sample see its neighbour: log-probs equal those of unpacked rows."""
    from seccodegen.train.scoring import TargetLogprobs

    tiny_model.config.use_cache = False
    scorer = TargetLogprobs(tiny_model, chunked=True, chunk_tokens=7).eval()
    a = Example(*tokenize_with_mask(tiny_tokenizer, "free(ptr);\nptr = NULL;\n", None))
    b = Example(*tokenize_with_mask(tiny_tokenizer, "if (n > 16) { return 1; }\n", None))
    packed = collate([[a, b]], tiny_tokenizer.pad_token_id)
    alone = collate([[a], [b]], tiny_tokenizer.pad_token_id)
    with torch.no_grad():
        lp_packed = scorer(packed.input_ids, packed.position_ids, packed.targets)
        lp_alone = scorer(alone.input_ids, alone.position_ids, alone.targets)
        plain = TargetLogprobs(tiny_model, chunked=False)(alone.input_ids, alone.position_ids, alone.targets)
    assert lp_packed.shape == lp_alone.shape
    assert torch.allclose(lp_packed, lp_alone, atol=1e-5)
    assert torch.allclose(plain, lp_alone, atol=1e-5)
