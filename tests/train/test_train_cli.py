"""Smoke test of the real ``seccodegen train`` entry point."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from seccodegen.cli import app


def test_train_cli_writes_adapter_tokenizer_log_and_manifest(
    tiny_model_dir, dataset_dir, fixtures_dir, tmp_path
):
    out = tmp_path / "adapter"
    args = [
        "train",
        "--model",
        str(tiny_model_dir),
        "--data",
        str(dataset_dir),
        "--granularity",
        "block",
        "--method",
        "ia3",
        "--objective",
        "masked-lm",
        "--out",
        str(out),
        "--mix-data",
        str(fixtures_dir / "train" / "mix" / "instructions.jsonl"),
        "--mix-ratio",
        "0.2",
        "--set",
        "max_seq_len=64",
        "--set",
        "max_steps=2",
        "--set",
        "log_every=1",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    for name in ("adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "train_log.jsonl"):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["stage"] == "train" and manifest["status"] == "finished"
    assert (
        manifest["config"]["objective"] == "masked-lm" and manifest["config"]["batch_size"] == 5
    )  # IA3 default
    assert manifest["config"]["epochs"] == 2 and manifest["config"]["lr"] == 3e-4
    assert manifest["config"]["mix_ratio"] == 0.2 and manifest["outputs"]["train_mix_records"] == 2  # 2 of 10
    log = [json.loads(x) for x in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2] and "val_loss" in log[-1]

    again = CliRunner().invoke(app, args)  # finished: refused without --force
    assert again.exit_code != 0 and "--force" in str(again.exception)


def test_train_cli_rejects_unknown_method_in_one_line(tiny_model_dir, dataset_dir, tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "train",
            "--model",
            str(tiny_model_dir),
            "--data",
            str(dataset_dir),
            "--method",
            "prefix",
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert result.exit_code != 0
    assert "unknown tuning method 'prefix'" in str(result.exception)
    assert not (tmp_path / "x").exists()
