import sys
import time

import pytest

from seccodegen.sandbox import ExecNotAllowedError, SandboxLimits, require_exec_allowed, run_sandboxed

from .conftest import PYTHON, needs_bwrap


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


@needs_bwrap
def test_workdir_files_go_in_and_come_back_and_status_is_exact(tmp_path):
    (tmp_path / "in.txt").write_text("abc")
    (tmp_path / "gone.txt").write_text("x")
    code = "import os, signal\nprint(open('in.txt').read(), flush=True)\nopen('out.txt', 'w').write('new')\nos.remove('gone.txt')\nos.kill(os.getpid(), signal.SIGSEGV)"
    res = run_sandboxed([PYTHON, "-c", code], workdir=tmp_path)
    assert res.returncode == -11 and res.stdout.strip() == "abc" and res.error is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "out.txt"]
    assert (tmp_path / "out.txt").read_text() == "new"
    exit_130 = run_sandboxed([PYTHON, "-c", "raise SystemExit(130)"], workdir=tmp_path)
    assert exit_130.returncode == 130  # not confused with a signal


MODES_JOB = "import os\nos.mkdir('d', 0o777)\nos.chmod('d', 0o1777)\nopen('d/f', 'w').close()\nos.symlink('/etc', 'link')"


@needs_bwrap
def test_file_modes_are_the_jobs_own_and_umask_is_applied(tmp_path):
    (tmp_path / "given").write_text("x")
    (tmp_path / "given").chmod(0o640)
    res = run_sandboxed([PYTHON, "-c", MODES_JOB], workdir=tmp_path, umask=0o000)
    # as the job left them (the copies on the host lose group/others write and the sticky bit);
    # links are neither followed nor listed
    assert res.file_modes == {".": res.file_modes["."], "given": 0o640, "d": 0o1777, "d/f": 0o666}
    assert (tmp_path / "d").stat().st_mode & 0o7777 == 0o755
    masked = run_sandboxed([PYTHON, "-c", "import os\nprint(oct(os.umask(0)))"], workdir=tmp_path, umask=0o027)
    assert masked.stdout.strip() == "0o27"
    assert run_sandboxed([PYTHON, "-c", "pass"]).file_modes is None  # no workdir


@needs_bwrap
def test_timeout_kills_the_whole_tree_without_hanging():
    start = time.monotonic()
    res = run_sandboxed(["/bin/sh", "-c", "sleep 100 & sleep 100"], limits=SandboxLimits(wall_seconds=1))
    assert res.timed_out and res.returncode is None and time.monotonic() - start < 5


def test_tool_output_comes_back_whole():
    # analyzers print a line per finding: a batch's output must not be trimmed (only bounded)
    res = run_sandboxed([PYTHON, "-c", "print('x' * 100_000)"], trusted_tool=True)
    assert len(res.stdout.strip()) == 100_000


def test_input_paths_include_dirs_glued_to_flags(tmp_path):
    """`-I/dir` (how the calibration passes Juliet's testcasesupport) must be visible to the tool."""
    from seccodegen.sandbox import input_paths

    inc, src = tmp_path / "inc", tmp_path / "a.c"
    inc.mkdir()
    src.write_text("int x;\n")
    argv = ["gcc", f"-I{inc}", "-isystem", "/usr/include", f"--config={inc}", "-DX=1", str(src), "-Irelative"]
    assert input_paths(argv) == [str(inc), str(inc), str(src)]


def test_a_venv_under_tmp_stays_visible(monkeypatch):
    """The tools' Python installation is bound after /tmp's tmpfs (a clone and its venv may live
    under /tmp), and paths inside it are not bound twice (bwrap cannot mount onto a read-only bind)."""
    from seccodegen.sandbox import bwrap

    monkeypatch.setattr(bwrap, "bwrap_path", lambda: "/usr/bin/bwrap")
    monkeypatch.setattr(bwrap, "tool_prefixes", lambda: ["/tmp/clone/.venv"])
    argv = bwrap.bwrap_argv(cwd="/tmp/job", disk_bytes=1 << 20, ro_paths=["/tmp/clone/.venv/bin/python"])
    tmpfs = argv.index("/tmp", argv.index("--tmpfs"))
    venv = argv.index("/tmp/clone/.venv")
    assert venv > tmpfs and argv.count("/tmp/clone/.venv/bin/python") == 0
