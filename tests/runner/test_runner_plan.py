"""The grid expands into content-addressed steps; finished steps are cached; bad files fail clearly."""

import pytest
from typer.testing import CliRunner

from seccodegen.artifacts import open_artifact
from seccodegen.cli import app
from seccodegen.errors import ConfigError
from seccodegen.runner.experiment import load_experiment
from seccodegen.runner.plan import build_plan

EXPERIMENT = """
name: t
out: {out}
models: [{{name: tiny, model: "builtin:tiny-random"}}]
methods: [base, lora]
granularities: [block, function]
prompt_styles: [baseline, generic]
dataset: {{sources: [{{format: vulnfix-jsonl, path: data.jsonl}}]}}
"""


def write(tmp_path, text=EXPERIMENT):
    p = tmp_path / "exp.yaml"
    p.write_text(text.format(out=tmp_path / "runs"))
    return p


def test_grid_expansion_and_shared_steps(tmp_path):
    plan = build_plan(load_experiment(str(write(tmp_path))))
    by_stage = {}
    for s in plan.steps:
        by_stage.setdefault(s.stage, []).append(s)
    # one dataset; 2 trains (lora x 2 granularities); samples: base x 2 styles + 2 tuned x baseline
    assert len(by_stage["dataset"]) == 1 and len(by_stage["train"]) == 2
    assert len(by_stage["sample"]) == 4 and len(by_stage["judge"]) == 4 and len(plan.cells) == 4
    assert len({s.path for s in plan.steps}) == len(plan.steps)


def test_finished_steps_are_cached_and_extension_keeps_keys(tmp_path):
    exp = load_experiment(str(write(tmp_path)))
    plan = build_plan(exp)
    step = next(s for s in plan.steps if s.stage == "train")
    art = open_artifact(step.path, "train", {"x": 1})
    art.finish()
    again = build_plan(exp)
    assert [s.cached for s in again.steps if s.path == step.path] == [True]
    bigger = build_plan(load_experiment(str(write(tmp_path)), ["granularities=[block, function, line]"]))
    assert step.path in {s.path for s in bigger.steps}  # old work keeps its address
    assert len([s for s in bigger.steps if s.stage == "train"]) == 3


def test_dry_run_prints_plan(tmp_path):
    res = CliRunner().invoke(app, ["run", str(write(tmp_path)), "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "train" in res.output and "new" in res.output


def test_typo_in_experiment_is_one_line_error(tmp_path):
    p = write(tmp_path, EXPERIMENT.replace("methods:", "methodz:"))
    with pytest.raises(ConfigError, match="unknown key 'methodz'"):
        load_experiment(str(p))
    p = write(tmp_path, EXPERIMENT.replace("granularities: [block, function]", "languages: [rust]"))
    with pytest.raises(ConfigError, match="rust"):
        load_experiment(str(p))
