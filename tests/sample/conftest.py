"""One tiny-model ``hf`` engine shared by the sample tests (loading it is the slow part)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_hf_engine(tiny_model_dir: Path):
    from seccodegen.sample.engine import make_engine

    return make_engine(str(tiny_model_dir), backend="hf", device="cpu")
