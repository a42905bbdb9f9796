"""Two CPU processes (gloo) under torchrun: the CPU stand-in for multi-GPU DDP training."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file


def test_two_process_ddp_matches_one_process_with_the_same_global_batch(
    tiny_model_dir, dataset_dir, tmp_path
):
    from seccodegen.models.loader import load_model
    from seccodegen.train import LoraSettings, TrainConfig, run

    common = [
        "--model",
        str(tiny_model_dir),
        "--data",
        str(dataset_dir),
        "--method",
        "lora",
        "--set",
        "max_seq_len=64",
        "--set",
        "max_steps=3",
        "--set",
        "lora.dropout=0.0",
        "--set",
        "log_every=1",
        "--set",
        "save_every=2",
        "--set",
        "lr=1e-2",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "SECCODEGEN_PROGRESS": "0"}
    out2 = tmp_path / "ddp"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--standalone",  # torchrun binds a free port itself: no race for a port picked in advance
        "-m",
        "seccodegen.cli",
        "train",
        *common,
        "--out",
        str(out2),
        "--set",
        "batch_size=1",
    ]
    proc = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    manifest = json.loads((out2 / "manifest.json").read_text())
    assert manifest["status"] == "finished" and manifest["outputs"]["world_size"] == 2

    # one process, batch 2 = the same rows per step as 2 processes x batch 1
    out1 = run(
        TrainConfig(
            model=str(tiny_model_dir),
            data=str(dataset_dir),
            out=str(tmp_path / "single"),
            method="lora",
            max_seq_len=64,
            max_steps=3,
            batch_size=2,
            log_every=1,
            lr=1e-2,
            lora=LoraSettings(dropout=0.0),
        )
    )
    a, b = load_file(out2 / "adapter_model.safetensors"), load_file(out1 / "adapter_model.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a)
    log2 = [json.loads(x)["loss"] for x in (out2 / "train_log.jsonl").read_text().splitlines()]
    log1 = [json.loads(x)["loss"] for x in (out1 / "train_log.jsonl").read_text().splitlines()]
    assert log2 == pytest.approx(log1, rel=1e-5)

    # the adapter reloads on the base model
    reloaded = load_model(str(out2), dtype="float32")
    assert type(reloaded).__name__ == "PeftModelForCausalLM"


@pytest.mark.slow
def test_two_process_fsdp_full_fine_tune_matches_one_process(tiny_model_dir, dataset_dir, tmp_path):
    """Full fine-tuning shards with FSDP2 over 2 gloo processes (checkpoint + export gather the shards)."""
    from seccodegen.train import TrainConfig, run

    env = {**os.environ, "OMP_NUM_THREADS": "1", "SECCODEGEN_PROGRESS": "0"}
    out2 = tmp_path / "fsdp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone", "-m", "seccodegen.cli", "train", "--model", str(tiny_model_dir), "--data",
           str(dataset_dir), "--method", "full", "--out", str(out2), "--set", "max_seq_len=64", "--set",
           "max_steps=3", "--set", "batch_size=1", "--set", "save_every=2", "--set", "lr=1e-3"]  # fmt: skip
    proc = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out1 = run(TrainConfig(model=str(tiny_model_dir), data=str(dataset_dir), out=str(tmp_path / "one"),
                           method="full", max_seq_len=64, max_steps=3, batch_size=2, lr=1e-3))  # fmt: skip
    a, b = load_file(out2 / "model.safetensors"), load_file(out1 / "model.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a)


def test_every_process_keeps_nvlink_multicast_off(monkeypatch):
    from seccodegen.train.distributed import NO_MULTICAST_ENV, init_layout

    for key in NO_MULTICAST_ENV:
        monkeypatch.delenv(key, raising=False)
    init_layout()
    import os

    assert {k: os.environ[k] for k in NO_MULTICAST_ENV} == NO_MULTICAST_ENV
