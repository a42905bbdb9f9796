import sys

import pytest

from seccodegen.sandbox import ExecNotAllowedError, SandboxLimits, require_exec_allowed, run_sandboxed


def test_requires_consent():
    with pytest.raises(ExecNotAllowedError, match="--allow-exec"):
        require_exec_allowed(False)


def test_runs_in_temp_home_with_timeout():
    res = run_sandboxed([sys.executable, "-c", "import os; print(os.getcwd() == os.environ['HOME'])"])
    assert res.returncode == 0 and res.stdout.strip() == "True"
    slow = run_sandboxed([sys.executable, "-c", "while True: pass"], limits=SandboxLimits(cpu_seconds=5, wall_seconds=1))
    assert slow.timed_out and slow.returncode is None


def test_memory_limit_stops_a_hog():
    res = run_sandboxed(
        [sys.executable, "-c", "x = bytearray(2_000_000_000)"], limits=SandboxLimits(memory_mb=300)
    )
    assert res.returncode != 0 and "MemoryError" in res.stderr


def test_address_space_limit_can_be_lifted_for_sanitizer_builds():
    # reserving 512 MiB of address space (never touched) is what ASan does on a far larger scale
    reserve = [sys.executable, "-c", "import mmap; mmap.mmap(-1, 512 << 20); print('reserved')"]
    capped = run_sandboxed(reserve, limits=SandboxLimits(memory_mb=128, wall_seconds=20))
    assert capped.returncode != 0
    lifted = run_sandboxed(reserve, limits=SandboxLimits(memory_mb=128, wall_seconds=20, limit_address_space=False))
    assert lifted.returncode == 0 and lifted.stdout.strip() == "reserved"


def test_extra_env_reaches_the_program():
    r = run_sandboxed(["sh", "-c", 'echo "$ASAN_OPTIONS"'], extra_env={"ASAN_OPTIONS": "detect_leaks=0"})
    assert r.stdout.strip() == "detect_leaks=0"
