"""What a new user runs first: the make targets use a project venv, and the README's typical
study and configs/quick.yaml name only what ships with a clone (the full fresh-machine path is
scripts/check_fresh_install.sh, too slow for the suite)."""

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seccodegen.cli import app

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("active", [None, "/tmp/some-active-venv"])
def test_every_make_target_runs_from_the_project_venv(active):
    env = {"PATH": "/usr/bin:/bin", **({"VIRTUAL_ENV": active} if active else {})}
    venv = active or str(ROOT / ".venv")
    for target, tail in (("test", "-m pytest"), ("demo", "-m seccodegen demo --allow-exec"), ("lint", "-m ruff")):
        out = subprocess.run(["make", "-n", "-C", str(ROOT), target], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert f'VENV="{venv}"' in out.stdout and "scripts/setup.sh" in out.stdout or target == "lint"
        assert f"{venv}/bin/python {tail}" in out.stdout, out.stdout


def _typical_study() -> list[list[str]]:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## A typical study", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [shlex.split(line) for line in block.splitlines() if line.startswith("seccodegen ")]


def test_readme_typical_study_names_only_what_ships_with_a_clone():
    commands = _typical_study()
    assert [c[1] for c in commands] == ["dataset", "train", "sample", "judge", "report", "run"]
    text = " ".join(" ".join(c) for c in commands) + (ROOT / "configs" / "quick.yaml").read_text()
    assert "../shared" not in text and ".gguf" not in text
    for cmd in commands:
        for arg in cmd:
            if arg.startswith("vulnfix-jsonl:"):
                assert (ROOT / arg.split(":", 1)[1]).is_file(), arg
            if arg.startswith("configs/"):
                assert (ROOT / arg).is_file(), arg
        if "--model" in cmd:
            assert cmd[cmd.index("--model") + 1].startswith("builtin:")


def test_quick_config_passes_the_dry_run_checks_from_a_clone(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    res = CliRunner().invoke(app, ["run", "configs/quick.yaml", "--dry-run", "--set", f"out={tmp_path}/quick"])
    assert res.exit_code == 0, (res.output, res.exception)
    assert re.search(r"train\s", res.output) and not (tmp_path / "quick").exists()
