"""SIGINT/SIGTERM: the process stops within 2 s, its child process groups end, one resume line."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from seccodegen.interrupt import RESUME_LINE, descendants

FIX = Path(__file__).parent / "fixtures" / "judge"

# a stage in miniature: a thread pool that starts tools in their own process groups (as the
# sandbox does) and keeps 20 more queued; the entry point's handling as in seccodegen.cli.main
POOL_SCRIPT = textwrap.dedent("""
    import subprocess
    from concurrent.futures import ThreadPoolExecutor
    from seccodegen import interrupt

    interrupt.install()
    def tool(_):
        subprocess.run(["sh", "-c", "sleep 60 & sleep 60"], start_new_session=True)
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(tool, range(22)))
    except KeyboardInterrupt:
        interrupt.finish()
""")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _stop_and_time(
    proc: subprocess.Popen, sig: int, min_children: int, ready: Path | None = None
) -> tuple[float, list[int], str]:
    """Signal ``proc`` once it has ``min_children`` descendants (and ``ready`` exists: a child can
    run before the work starts, e.g. a tool's --version probe on a cold cache)."""
    deadline = time.monotonic() + 120
    while len(descendants(proc.pid)) < min_children or (ready is not None and not ready.exists()):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.05)
    children = descendants(proc.pid)
    start = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    return time.monotonic() - start, children, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_pool_and_kills_child_groups_within_2s(sig):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", POOL_SCRIPT], env=env, stderr=subprocess.PIPE, text=True)
    seconds, children, err = _stop_and_time(proc, sig, min_children=6)  # 2 x (sh + 2 sleeps)
    assert proc.returncode == 130 and seconds < 2.0, (seconds, err)
    assert err.strip().splitlines()[-1] == RESUME_LINE and err.count(RESUME_LINE) == 1
    time.sleep(0.2)
    assert not [pid for pid in children if _alive(pid)]


def test_ctrl_c_in_judge_stops_within_2s_and_keeps_the_cache(tmp_path):
    code = (FIX / "oob_vuln.c").read_text()
    samples = tmp_path / "samples.jsonl"
    with open(samples, "w") as fh:
        for i in range(60):  # distinct programs: nothing is deduplicated
            fh.write(json.dumps({"id": f"s{i}", "language": "c", "cwe": "CWE-787",
                                 "code": code + f"\nint unused_{i};\n"}) + "\n")  # fmt: skip
    cmd = [sys.executable, "-m", "seccodegen", "judge", str(samples), "--out", str(tmp_path / "out"),
           "--cache-dir", str(tmp_path / "cache"), "--jobs", "2"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    # a compiler runs, inside the judge step (its manifest is written)
    seconds, children, err = _stop_and_time(proc, signal.SIGINT, min_children=1, ready=tmp_path / "out" / "manifest.json")
    assert proc.returncode == 130 and seconds < 2.0, (seconds, err[-2000:])
    assert err.strip().splitlines()[-1] == RESUME_LINE
    time.sleep(0.2)
    assert not [pid for pid in children if _alive(pid)]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["status"] == "running"  # a rerun resumes it (the same config)
