"""Smoke test: `seccodegen run` on a tiny grid, through every real stage, then a cached rerun."""

import json

import pandas as pd
from typer.testing import CliRunner

from seccodegen.cli import app
from seccodegen.dataset import DEMO_COMMITS

EXPERIMENT = """
name: smoke
out: {out}
models: [{{name: tiny, model: "builtin:tiny-random"}}]
methods: [base, lora]
granularities: [function]
prompt_styles: [baseline]
languages: [c, python]
scenario_ids: [c/cwe-78/count-lines-wc, python/cwe-89/user-lookup]
dataset: {{sources: [{{format: vulnfix-jsonl, path: "{data}"}}]}}
train: {{max_steps: 2, max_seq_len: 128, batch_size: 2}}
sample: {{n: 2, max_new_tokens: 16}}
judge: {{analyzers: [gcc-warnings, bandit]}}
allow_exec: true
"""


def test_run_whole_grid_then_rerun_is_cached(tmp_path, tiny_model_dir, monkeypatch):
    monkeypatch.setenv("SECCODEGEN_CACHE", str(tmp_path / "cache"))
    exp = tmp_path / "exp.yaml"
    exp.write_text(EXPERIMENT.format(out=tmp_path / "runs", data=DEMO_COMMITS))
    runner = CliRunner()
    res = runner.invoke(app, ["run", str(exp)])
    assert res.exit_code == 0, res.output
    root = tmp_path / "runs"
    results = pd.read_parquet(root / "results.parquet")
    # 2 cells (base, lora) x 2 scenarios x 2 samples, each with its grid coordinates
    assert len(results) == 8
    assert set(results["method"]) == {"base", "lora"} and set(results["language"]) == {"c", "python"}
    assert results["valid"].notna().all()
    assert (root / "report" / "report.html").is_file() and (root / "report" / "report.md").is_file()
    manifests = list(root.glob("*/*/manifest.json"))
    assert len(manifests) == 6  # dataset, train, 2 samples, 2 judges
    assert all(json.loads(m.read_text())["status"] == "finished" for m in manifests)
    again = runner.invoke(app, ["run", str(exp), "--dry-run"])
    assert again.exit_code == 0 and "new" not in again.output.replace("renew", "")
    rerun = runner.invoke(app, ["run", str(exp)])
    assert rerun.exit_code == 0 and "0 to run" in rerun.output
    # a grid extended by a cell that never ran: --report-only runs nothing and names it
    exp.write_text(EXPERIMENT.format(out=root, data=DEMO_COMMITS).replace("[base, lora]", "[base, lora, ia3]"))
    report = runner.invoke(app, ["run", str(exp), "--report-only"])
    assert report.exit_code == 0, report.output
    assert not list(root.glob("train/tiny-ia3-*"))  # nothing trained
    assert len(pd.read_parquet(root / "results.parquet")) == 8
    text = (root / "report" / "report.md").read_text()
    assert "not run: tiny/ia3/function/all/baseline (security samples)" in text
