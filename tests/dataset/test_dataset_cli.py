"""Smoke test of the real CLI: build the demo corpus, print stats, check contamination."""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from seccodegen.cli import app
from seccodegen.dataset import DEMO_COMMITS

runner = CliRunner()


def test_cli_build_stats_contamination(tmp_path, dsfix):
    out = tmp_path / "ds"
    res = runner.invoke(
        app,
        [
            "dataset",
            "build",
            "--source",
            f"vulnfix-jsonl:{DEMO_COMMITS}",
            "--source",
            f"debian-patches:{dsfix / 'debian'}",
            "--out",
            str(out),
            "--set",
            "sizes=[5]",
            "--set",
            "seed=3",
        ],
    )
    assert res.exit_code == 0, res.output
    for gran in ("file", "function", "block", "line"):
        assert (out / gran / "train.jsonl").stat().st_size > 0
        assert (out / gran / "size-5" / "train.jsonl").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["seed"] == 3 and manifest["config"]["sizes"] == [5]

    stats_csv = tmp_path / "table.csv"
    res = runner.invoke(app, ["dataset", "stats", str(out), "--csv", str(stats_csv)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(stats_csv.open()))
    whole = {r["granularity"]: r for r in rows if r["subset"] == "all"}
    assert set(whole) == {"file", "function", "block", "line"}
    n_function = sum(1 for s in ("train", "val") for _ in (out / "function" / f"{s}.jsonl").open())
    assert int(whole["function"]["samples"]) == n_function
    assert int(whole["file"]["commits"]) == 13  # 12 demo commits + the Debian source-package fix
    assert "function" in res.output and "dropped" in res.output

    report = tmp_path / "overlaps.jsonl"
    suite = tmp_path / "suite"
    suite.mkdir()
    first = json.loads((out / "function" / "train.jsonl").open().readline())
    (suite / "s.yaml").write_text(json.dumps({"id": "c/cwe-787/copied", "prompt": first["text"]}))
    res = runner.invoke(
        app, ["dataset", "contamination", str(out), "--scenarios", str(suite), "--report", str(report)]
    )
    assert res.exit_code == 0, res.output
    hits = [json.loads(x) for x in report.read_text().splitlines()]
    assert any(h["example_id"] == first["id"] and h["scenario_id"] == "c/cwe-787/copied" for h in hits)
    assert "1 of 1 scenarios overlap" in res.output


def test_cli_errors_are_one_line(tmp_path):
    res = runner.invoke(app, ["dataset", "build", "--source", "nope", "--out", str(tmp_path / "x")])
    assert res.exit_code != 0
    assert "FORMAT:PATH" in str(res.exception)


def test_cli_build_from_yaml_config(tmp_path, dsfix):
    cfg = tmp_path / "dataset.yaml"
    cfg.write_text(
        "sources:\n"
        f"  - {{format: crossvul, path: '{dsfix / 'crossvul'}'}}\n"
        f"  - {{format: bigvul, path: '{dsfix / 'bigvul_MSR_data_cleaned.csv'}'}}\n"
        "granularities: [function, line]\n"
        "val_fraction: 0.0\n"
    )
    out = tmp_path / "ds"
    res = runner.invoke(app, ["dataset", "build", "-c", str(cfg), "--out", str(out), "--cwe", "CWE-119"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["function", "line"]
    exs = [json.loads(x) for x in (out / "function" / "train.jsonl").read_text().splitlines()]
    assert exs and all(e["cwe_ids"] == ["CWE-119"] and e["provenance"]["reader"] == "bigvul" for e in exs)
    assert (out / "function" / "val.jsonl").read_text() == ""
