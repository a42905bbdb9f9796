"""scripts/pair_kl_drift.py: how far an adapter moved the model at a pair's unchanged and changed tokens."""

from __future__ import annotations

import json

from seccodegen.train import LoraSettings, TrainConfig, run

FIXED = "int f(char *b, int n) {\n    if (n > 16) return -1;\n    memcpy(b, s, n);\n    return 0;\n}\n"
VULNERABLE = "int f(char *b, int n) {\n    memcpy(b, s, n);\n    return 0;\n}\n"


def test_drift_is_zero_for_an_untrained_adapter_and_grows_with_training(
    script, tiny_model_dir, tmp_path, capsys
):
    data = tmp_path / "pairs.jsonl"
    record = {"text": FIXED, "before": VULNERABLE, "changed_lines": [2], "language": "c"}
    data.write_text(json.dumps(record) + "\n")
    drift = script("pair_kl_drift")
    per_token = {}
    for epochs, lr in ((1, 1e-9), (8, 2e-2)):  # lr 1e-9: an adapter that is still the base model
        cfg = TrainConfig(
            model=str(tiny_model_dir), data=str(data), out=str(tmp_path / f"a{epochs}"), method="lora",
            objective="dpo", max_seq_len=64, batch_size=1, epochs=epochs, lr=lr, schedule="constant",
            save_every=0, lora=LoraSettings(dropout=0.0),
        )  # fmt: skip
        adapter = run(cfg)
        args = ["--model", str(tiny_model_dir), "--adapter", str(adapter), "--data", str(data), "--every", "1"]
        assert drift.main(args) == 0
        out = capsys.readouterr().out
        assert "pairs: 1 of 1" in out
        rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith(("fixed", "vulnerable"))}
        per_token[epochs] = float(rows["fixed"][1]), float(rows["fixed"][2])  # unchanged, changed
        assert int(rows["fixed"][4]) > 0 and int(rows["vulnerable"][4]) == 0  # the insertion: fixed side only
    assert max(per_token[1]) < 1e-4 < min(per_token[8])


def test_a_folder_without_an_adapter_is_a_one_line_error(script, tiny_model_dir, tmp_path, capsys):
    data = tmp_path / "pairs.jsonl"
    data.write_text("")
    args = ["--model", str(tiny_model_dir), "--adapter", str(tmp_path), "--data", str(data)]
    assert script("pair_kl_drift").main(args) == 2
    assert "not a peft adapter folder" in capsys.readouterr().err


def test_a_malformed_pair_line_is_a_one_line_error(script, tiny_model_dir, tmp_path, capsys):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    data = tmp_path / "pairs.jsonl"
    data.write_text('{"text": "a", "before": "b", "language": "c"}\n{"text": \n')
    args = ["--model", str(tiny_model_dir), "--adapter", str(adapter), "--data", str(data)]
    assert script("pair_kl_drift").main(args) == 2
    err = capsys.readouterr().err
    assert f"{data}:2:" in err and len(err.strip().splitlines()) == 1
