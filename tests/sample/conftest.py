"""One tiny-model ``hf`` engine shared by the sample tests (loading it is the slow part)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_hf_engine(tiny_model_dir: Path):
    from seccodegen.sample.engine import make_engine

    return make_engine(str(tiny_model_dir), backend="hf", device="cpu")


@pytest.fixture()
def run_interpreted():
    """Run a check of ``interpreted_kernel_checks.py`` in a subprocess under Triton's CPU
    interpreter (``TRITON_INTERPRET=1`` must be set before Triton is imported, so not in this
    process, whose other tests may use it for a GPU). Skips where Triton is not installed."""
    import os
    import subprocess
    import sys

    pytest.importorskip("triton")
    script = Path(__file__).with_name("interpreted_kernel_checks.py")

    def run(check: str, *args: str) -> str:
        env = {**os.environ, "TRITON_INTERPRET": "1"}
        done = subprocess.run([sys.executable, str(script), check, *args], env=env, capture_output=True,
                              text=True, timeout=600)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    return run


@pytest.fixture()
def same_decode_logits():
    """``check(a, b)``: two ``PrefixSharedDecoder`` of one model on the GPU give the same logits
    within bf16 rounding through prefill and 20 decode steps (two prompts, one left-padded, three
    rows each, random tokens fed)."""
    import torch

    def check(a, b) -> None:
        ids = torch.tensor([[0, 5, 6, 7], [8, 9, 10, 11]]).cuda()
        mask = torch.tensor([[0, 1, 1, 1], [1, 1, 1, 1]]).cuda()
        gen = torch.Generator().manual_seed(3)
        with torch.inference_mode():
            x, y = a.prefill(ids, mask, 3, 24), b.prefill(ids, mask, 3, 24)
            for _ in range(20):
                torch.testing.assert_close(x.float(), y.float(), rtol=0.02, atol=0.02)
                tokens = torch.randint(0, 300, (6,), generator=gen).cuda()
                x, y = a.step(tokens), b.step(tokens)

    return check
