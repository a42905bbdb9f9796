"""Where bubblewrap cannot run: --allow-exec fails with one line, --allow-exec=unsafe warns on
every run, compilers/analyzers fall back with one warning. Runs on every machine."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import seccodegen.sandbox as sandbox
from seccodegen.cli import app
from seccodegen.sandbox import ExecNotAllowedError, require_exec_allowed, run_sandboxed

from .conftest import PYTHON

PROBLEM = "bwrap cannot create its namespaces here (No permissions to create new namespace)"


@pytest.fixture
def no_bwrap(monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_problem", lambda: PROBLEM)
    sandbox._unsafe_opt_in.clear()
    sandbox._tool_warning_shown.clear()
    yield
    sandbox._unsafe_opt_in.clear()
    sandbox._tool_warning_shown.clear()


def test_allow_exec_fails_with_one_line_saying_why_and_how(no_bwrap):
    with pytest.raises(ExecNotAllowedError) as err:
        require_exec_allowed(True)
    msg = str(err.value)
    assert "\n" not in msg and PROBLEM in msg and "user namespaces" in msg and "--allow-exec=unsafe" in msg
    with pytest.raises(ExecNotAllowedError, match="--allow-exec=unsafe"):
        run_sandboxed([PYTHON, "-c", "pass"])  # no opt-in: nothing runs


def test_unsafe_opt_in_warns_on_every_run_and_runs(no_bwrap, capsys):
    for _ in range(2):
        require_exec_allowed("unsafe")
    assert capsys.readouterr().err.count("warning: --allow-exec=unsafe") == 2
    res = run_sandboxed([PYTHON, "-c", "print('hi')"])
    assert res.isolation == "unsafe" and res.stdout.strip() == "hi"


def test_tools_fall_back_with_one_warning(no_bwrap, capsys):
    for _ in range(2):
        res = run_sandboxed([PYTHON, "-c", "print('ok')"], trusted_tool=True)
        assert res.isolation == "unsafe" and res.returncode == 0
    assert capsys.readouterr().err.count("without filesystem isolation") == 1


def test_judge_cli_allow_exec_forms(no_bwrap, tmp_path):
    samples = tmp_path / "s.jsonl"
    samples.write_text('{"id": "a", "language": "python", "code": "print(1)\\n"}\n')
    runner = CliRunner()
    common = ["--analyzers", "bandit", "--cache-dir", str(tmp_path / "c")]
    r = runner.invoke(app, ["judge", "--allow-exec", str(samples), "--out", str(tmp_path / "o1"), *common])
    assert isinstance(r.exception, ExecNotAllowedError)  # the flag took no value; nothing was judged
    assert "--allow-exec cannot sandbox here" in str(r.exception)
    assert not (tmp_path / "o1" / "results.jsonl").exists()
    r = runner.invoke(app, ["judge", str(samples), "--out", str(tmp_path / "o2"), "--allow-exec=unsafe", *common])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["judge", str(samples), "--out", str(tmp_path / "o3"), "--allow-exec=maybe", *common])
    assert r.exit_code != 0 and "'=unsafe'" in str(r.exception)


def test_unsafe_mode_reports_file_modes_from_the_workdir(no_bwrap, tmp_path):
    require_exec_allowed("unsafe")
    job = "import os\nos.mkdir('d', 0o777)\nopen('d/f', 'w').close()"
    res = run_sandboxed([PYTHON, "-c", job], workdir=tmp_path, umask=0o002)
    assert res.isolation == "unsafe"
    assert (res.file_modes["d"], res.file_modes["d/f"]) == (0o775, 0o664)
