"""scripts/offline_gpu/run_experiment.sh: a GPU shard that runs out of memory runs again.

The shell function ``sc_shard`` is taken from the script as it is and run with a stand-in
``sc_run`` (no GPU, no seccodegen): out-of-memory failures are retried, other failures are not.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "offline_gpu" / "run_experiment.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")


def _shard_function() -> str:
    text = SCRIPT.read_text()
    start = text.index("sc_shard() {")
    return text[start : text.index("\nexport -f sc_shard", start)]


def _run(tmp_path: Path, stand_in: str) -> tuple[int, str, int]:
    log = tmp_path / "shard.log"
    calls = tmp_path / "calls"
    script = f"""{_shard_function()}
sc_run() {{ echo x >> '{calls}'; {stand_in}; }}
OOM_WAIT=0 OOM_TRIES=4 sc_shard qwen 0/2 '{log}' > '{log}' 2>&1
"""
    rc = subprocess.run(["bash", "-c", script], check=False).returncode
    n = len(calls.read_text().splitlines()) if calls.exists() else 0
    return rc, log.read_text(), n


def test_out_of_memory_runs_the_shard_again_until_it_passes(tmp_path: Path) -> None:
    stand_in = (f"n=$(wc -l < '{tmp_path / 'calls'}'); if [ $n -lt 3 ]; then "
                "echo 'torch.OutOfMemoryError: CUDA out of memory'; return 1; fi; echo finished")  # fmt: skip
    rc, log, calls = _run(tmp_path, stand_in)
    assert (rc, calls) == (0, 3), log
    assert log.count("out of GPU memory: shard 0/2 again") == 2 and log.rstrip().endswith("finished")


def test_out_of_memory_gives_up_after_the_tries(tmp_path: Path) -> None:
    rc, log, calls = _run(tmp_path, "echo 'torch.OutOfMemoryError'; return 1")
    assert (rc, calls) == (1, 4), log


def test_other_failures_are_not_retried(tmp_path: Path) -> None:
    rc, log, calls = _run(tmp_path, "echo 'ValueError: bad config'; return 3")
    assert (rc, calls) == (3, 1), log
