"""scripts/published_samples.py: a grid's judged and HumanEval-X samples published beside a report
go back into a fresh run tree, where --report-only builds the same results from them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from seccodegen.errors import InputError
from seccodegen.humaneval.core import execute_rows
from seccodegen.records import read_jsonl, write_jsonl
from seccodegen.runner.core import run as run_grid
from seccodegen.runner.core import unfinished_cells
from seccodegen.runner.experiment import load_experiment
from seccodegen.runner.plan import build_plan

EXPERIMENT = """
name: t
out: {out}
models: [{{name: tiny, model: "builtin:tiny-random"}}]
methods: [base]
prompt_styles: [baseline]
languages: [c]
humaneval: {{enabled: true, data: {data}}}
"""


def _judged(i: int, secure: bool) -> dict:
    return {"id": f"c/cwe-787/x::baseline::{i}", "scenario_id": "c/cwe-787/x", "language": "c", "cwe": "CWE-787",
            "prompt_style": "baseline", "sample_index": i, "valid": True, "secure": secure, "correct": True,
            "compile_error": None, "links": True, "secure_static": secure, "secure_dynamic": True,
            "exploited": False, "findings": []}  # fmt: skip


def _experiment(tmp_path: Path):
    """The experiment file (one pretrained cell with HumanEval-X) and its plan."""
    (tmp_path / "he.jsonl").write_text("")
    exp_file = tmp_path / "exp.yaml"
    exp_file.write_text(EXPERIMENT.format(out=tmp_path / "runs", data=tmp_path / "he.jsonl"))
    return exp_file, build_plan(load_experiment(str(exp_file)))


def test_publish_then_restore_gives_the_same_results(script, tmp_path: Path) -> None:
    exp_file, plan = _experiment(tmp_path)
    (cell,) = plan.cells
    write_jsonl(cell.judge.path / "results.jsonl", [_judged(0, True), _judged(1, False)])
    write_jsonl(cell.humaneval.path / "samples.jsonl", [
        {"task_id": "CPP/0", "index": i, "completion": "x", "status": s, "detail": ""}
        for i, s in enumerate(["passed", "failed", "passed"])])  # fmt: skip
    tool = script("published_samples")
    published = tmp_path / "samples"
    assert tool.publish(plan, published) == 2
    name = cell.judge.path.name.rsplit("-", 1)[0]
    assert sorted(p.name for p in published.iterdir()) == sorted(
        [f"{name}.judged.jsonl.gz", f"{cell.humaneval.path.name.rsplit('-', 1)[0]}.humaneval.jsonl.gz"]
    )
    # a machine with the repository only: an empty run tree, the published files
    fresh = build_plan(load_experiment(str(exp_file), [f"out={tmp_path / 'elsewhere'}"]))
    assert len(unfinished_cells(fresh)) == 2  # security samples and HumanEval-X
    assert tool.restore(fresh, published) == 2 and tool.restore(fresh, published) == 0  # kept once
    assert unfinished_cells(fresh) == []
    (again,) = fresh.cells
    assert read_jsonl(again.judge.path / "results.jsonl") == read_jsonl(cell.judge.path / "results.jsonl")
    assert read_jsonl(again.humaneval.path / "tasks.jsonl")[0] | {"detail": ""} == {
        "task_id": "CPP/0", "n": 3, "c": 2, "could_not_run": False, "detail": ""}
    out = run_grid(load_experiment(str(exp_file), [f"out={tmp_path / 'elsewhere'}"]), report_only=True)
    assert "not run" not in (tmp_path / "elsewhere" / "report" / "report.md").read_text()
    assert out.results is not None


def test_completions_published_before_execution_restore_as_the_first_half(script, tmp_path: Path) -> None:
    exp_file, plan = _experiment(tmp_path)
    (cell,) = plan.cells
    published = tmp_path / "samples"
    published.mkdir()
    name = cell.humaneval.path.name.rsplit("-", 1)[0]
    with gzip.open(published / f"{name}.humaneval.jsonl.gz", "wt") as fh:
        fh.write(json.dumps({"task_id": "CPP/0", "index": 0, "completion": "x"}) + "\n")
    assert script("published_samples").restore(plan, published) == 0
    assert (cell.humaneval.path / "completions.jsonl").is_file()
    assert not (cell.humaneval.path / "tasks.jsonl").exists()
    assert any("HumanEval" in m for m in unfinished_cells(plan))


def test_completions_of_other_tasks_are_a_one_line_error() -> None:
    with pytest.raises(InputError, match="CPP/999"):
        execute_rows([], [{"task_id": "CPP/999", "completion": "x"}], jobs=1)


TUNED = """
name: t
out: {out}
models: [{{name: tiny, model: "builtin:tiny-random"}}]
methods: [lora]
granularities: [function]
prompt_styles: [baseline]
languages: [c]
dataset: {{sources: [{{format: vulnfix-jsonl, path: {data}}}]}}
"""


def _tuned_plan(tmp_path: Path, out: str):
    (tmp_path / "data.jsonl").touch()
    exp_file = tmp_path / "tuned.yaml"
    exp_file.write_text(TUNED.format(out=tmp_path / out, data=tmp_path / "data.jsonl"))
    return build_plan(load_experiment(str(exp_file)))


def test_published_adapters_restore_as_finished_training_steps(script, tmp_path: Path) -> None:
    """A published adapter (its training step's files and manifest, under any folder name) goes back
    as the grid's finished training step of the same hash; an adapter of another step does not."""
    plan = _tuned_plan(tmp_path, "runs")
    (train,) = [s for s in plan.steps if s.stage == "train"]
    published = tmp_path / "adapters"
    mine, other = published / "tiny-lora-published", published / "another"
    for folder, out in ((mine, train.path), (other, tmp_path / "runs/train/tiny-lora-function-all-0123456789ab")):
        folder.mkdir(parents=True)
        (folder / "adapter_model.safetensors").write_bytes(b"weights")
        (folder / "manifest.json").write_text(json.dumps(
            {"status": "finished", "stage": "train", "config": {"out": str(out)}}))  # fmt: skip
    fresh = _tuned_plan(tmp_path, "elsewhere")
    (again,) = [s for s in fresh.steps if s.stage == "train"]
    assert not again.cached
    tool = script("published_samples")
    assert tool.restore_adapters(fresh, published) == 1
    assert again.cached and (again.path / "adapter_model.safetensors").read_bytes() == b"weights"
    assert tool.restore_adapters(fresh, published) == 0  # a finished step is left alone
    assert not list((tmp_path / "elsewhere" / "train").glob("*0123456789ab"))


def test_a_published_adapter_without_a_training_manifest_is_a_one_line_error(script, tmp_path: Path) -> None:
    plan = _tuned_plan(tmp_path, "runs")
    (tmp_path / "adapters" / "x").mkdir(parents=True)
    (tmp_path / "adapters" / "x" / "manifest.json").write_text("{}")
    with pytest.raises(InputError, match="config.out"):
        script("published_samples").restore_adapters(plan, tmp_path / "adapters")
