"""Fixtures of the train-stage tests: the tiny dataset fixture and a config factory."""

from __future__ import annotations

from pathlib import Path

import pytest

TRAIN_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "train"


@pytest.fixture()
def dataset_dir() -> Path:
    """A dataset dir in the dataset stage's layout: block/{train,val}.jsonl (10 + 2 records)."""
    return TRAIN_FIXTURES / "dataset"


@pytest.fixture()
def make_cfg(tiny_model_dir: Path, dataset_dir: Path, tmp_path: Path):
    """TrainConfig for the tiny model on the fixture: short rows, few steps, no progress noise."""
    from seccodegen.train import TrainConfig

    def make(name: str = "out", **overrides):
        values = {
            "model": str(tiny_model_dir),
            "data": str(dataset_dir),
            "out": str(tmp_path / name),
            "max_seq_len": 64,
            "batch_size": 2,
            "max_steps": 4,
            "log_every": 1,
            "save_every": 0,
        }
        values.update(overrides)
        return TrainConfig(**values)

    return make
