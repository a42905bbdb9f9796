"""``seccodegen demo``: the embedded experiment (demo.yaml) through the real runner."""

from __future__ import annotations

from pathlib import Path

from seccodegen.runner.core import RunOutcome
from seccodegen.runner.core import run as run_experiment
from seccodegen.runner.experiment import load_experiment

DEMO_YAML = Path(__file__).with_name("demo.yaml")


def run(out: str = "seccodegen-demo", allow_exec: bool | str = False, force: bool = False) -> RunOutcome:
    from seccodegen.dataset import DEMO_COMMITS

    overrides = [
        f"out={out}",
        f"allow_exec={str(allow_exec).lower()}",
        f'dataset.sources=[{{format: vulnfix-jsonl, path: "{DEMO_COMMITS}"}}]',  # shipped in the package
    ]
    return run_experiment(load_experiment(str(DEMO_YAML), overrides), force=force)
