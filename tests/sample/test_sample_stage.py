"""The sample stage end to end on the tiny model: records, resume after a kill, reproducibility, CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from seccodegen.config import load_config
from seccodegen.errors import ArtifactError, ConfigError, InputError
from seccodegen.records import read_jsonl
from seccodegen.sample import SampleConfig, run

SUITE = Path(__file__).parents[1] / "fixtures" / "sample" / "suite"
FIELDS = {
    "schema_version",
    "record",
    "id",
    "scenario_id",
    "language",
    "cwe",
    "prompt_style",
    "sample_index",
    "seed",
    "model",
    "prompt",
    "completion",
    "code",
    "prompt_tokens",
    "completion_tokens",
    "finish_reason",
}


@pytest.fixture()
def engine(tiny_hf_engine):
    return tiny_hf_engine


def _config(model_dir: Path, out: Path, **kw) -> SampleConfig:
    base = {
        "model": str(model_dir),
        "scenarios": str(SUITE),
        "prompt_styles": ("baseline", "generic"),
        "n": 5,
        "max_new_tokens": 12,
        "batch_size": 4,
        "out": str(out),
    }
    base.update(kw)
    return SampleConfig(**base)


def test_n_records_per_scenario_and_style(tiny_model_dir: Path, tmp_path: Path, engine) -> None:
    from seccodegen.scenarios.model import load_suite

    path = run(_config(tiny_model_dir, tmp_path / "s"), engine=engine)
    records = read_jsonl(path / "samples.jsonl")
    scenarios = {s.id: s for s in load_suite(SUITE)}
    assert len(records) == len(scenarios) * 2 * 5
    assert {r["id"] for r in records} == {
        f"{sid}::{style}::{k}" for sid in scenarios for style in ("baseline", "generic") for k in range(5)
    }
    for rec in records:
        assert set(rec) == FIELDS and rec["record"] == "sample"
        scenario = scenarios[rec["scenario_id"]]
        assert rec["code"] == scenario.prompt + rec["completion"] + scenario.suffix
        assert rec["prompt"].endswith(scenario.prompt)
        assert rec["finish_reason"] in ("stop", "length", "eos")
        assert 0 <= rec["completion_tokens"] <= 12 and rec["prompt_tokens"] > 0
        assert rec["model"] == {"spec": str(tiny_model_dir), "adapter": None, "name": tiny_model_dir.name}
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["status"] == "finished" and manifest["outputs"]["samples.jsonl"]["records"] == 20
    # what the decode step ran with, since the texts depend on it (on CPU: the torch paths)
    assert manifest["outputs"]["samples.jsonl"]["decode"] == (
        "the model's own modules, attention: batched matmuls (PyTorch), sampling: sort (PyTorch)"
    )
    with pytest.raises(ArtifactError, match="--force"):
        run(_config(tiny_model_dir, tmp_path / "s"), engine=engine)


def test_completions_are_cut_where_the_function_ends(tiny_model_dir: Path, tmp_path: Path) -> None:
    from seccodegen.sample.engine import Completion
    from seccodegen.scenarios.model import load_suite

    class Scripted:  # an engine that always writes a closed C function plus trailing junk
        tokenizer = None

        def generate(self, prompts, n, *args, **kwargs):
            return [[Completion("    strcpy(buf, name);\n}\nint junk;", "length", 3, 9)] * n for _ in prompts]

    cfg = _config(tiny_model_dir, tmp_path / "cut", languages=("c",), prompt_styles=("baseline",), n=2)
    records = read_jsonl(run(cfg, engine=Scripted()) / "samples.jsonl")
    (scenario,) = [s for s in load_suite(SUITE) if s.language == "c"]
    assert [r["completion"] for r in records] == ["    strcpy(buf, name);\n}\n"] * 2
    assert all(
        r["finish_reason"] == "stop" and r["code"] == scenario.assemble(r["completion"]) for r in records
    )


class _Killed(RuntimeError):
    pass


def test_killed_run_resumes_without_lost_or_duplicate_samples(
    tiny_model_dir: Path, tmp_path: Path, engine, capsys
) -> None:
    small = {"n": 3, "batch_size": 3, "max_new_tokens": 8}
    full = read_jsonl(
        run(_config(tiny_model_dir, tmp_path / "full", **small), engine=engine) / "samples.jsonl"
    )

    def kill_after_two(batch: int) -> None:
        if batch == 1:
            raise _Killed

    cfg = _config(tiny_model_dir, tmp_path / "resumed", **small)
    with pytest.raises(_Killed):
        run(cfg, engine=engine, on_batch=kill_after_two)
    partial = read_jsonl(tmp_path / "resumed" / "samples.jsonl")
    assert 0 < len(partial) < len(full)
    # a torn last line, as a kill in the middle of a write leaves it
    with open(tmp_path / "resumed" / "samples.jsonl", "a") as fh:
        fh.write('{"id": "torn')
    capsys.readouterr()
    resumed = read_jsonl(run(cfg, engine=engine) / "samples.jsonl")
    assert f"sample: resuming: {len(partial)} of {len(full)} samples done" in capsys.readouterr().err
    ids = [r["id"] for r in resumed]
    assert len(ids) == len(set(ids)) == len(full)
    def key(r):
        return (r["scenario_id"], r["prompt_style"], r["sample_index"])

    assert {key(r) for r in resumed} == {key(r) for r in full}
    assert resumed == full  # per-sample random streams: even the texts are the same


def test_same_config_same_samples_other_seed_other_samples(
    tiny_model_dir: Path, tmp_path: Path, engine
) -> None:
    cfg = _config(tiny_model_dir, tmp_path / "a", prompt_styles=("baseline",), n=3, max_new_tokens=8)
    first = (run(cfg, engine=engine) / "samples.jsonl").read_text()
    again = (
        run(replace(cfg, out=str(tmp_path / "b"), batch_size=64), engine=engine) / "samples.jsonl"
    ).read_text()
    assert first == again  # batch size does not change the samples
    other = read_jsonl(run(replace(cfg, out=str(tmp_path / "c"), seed=1), engine=engine) / "samples.jsonl")
    assert [r["completion"] for r in other] != [
        r["completion"] for r in read_jsonl(tmp_path / "a" / "samples.jsonl")
    ]


def test_config_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="top_p"):
        load_config(SampleConfig, overrides=["model=m", f"out={tmp_path}", "top_p=0"])
    with pytest.raises(ConfigError, match="languages"):
        load_config(SampleConfig, overrides=["model=m", f"out={tmp_path}", "languages=[rust]"])
    with pytest.raises(InputError, match="not in the suite"):
        run(
            SampleConfig(
                model="m", out=str(tmp_path / "x"), scenarios=str(SUITE), scenario_ids=("c/cwe-1/none",)
            )
        )


def test_cli_smoke(tiny_model_dir: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from seccodegen.cli import app

    out = tmp_path / "cli"
    args = [
        "sample",
        "--model",
        str(tiny_model_dir),
        "--scenarios",
        str(SUITE),
        "--styles",
        "baseline,generic",
        "--n",
        "2",
        "--max-new-tokens",
        "6",
        "--device",
        "cpu",
        "--out",
        str(out),
        "--set",
        "seed=3",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    records = read_jsonl(out / "samples.jsonl")
    assert len(records) == 2 * 2 * 2 and {r["seed"] for r in records} == {3}
    assert json.loads((out / "manifest.json").read_text())["stage"] == "sample"
    assert CliRunner().invoke(app, args).exit_code != 0  # finished: needs --force
    assert CliRunner().invoke(app, [*args, "--force"]).exit_code == 0


def test_samples_reach_the_file_in_batches_of_bounded_time(tiny_model_dir: Path, tmp_path: Path, monkeypatch) -> None:
    """With a large default batch, records still reach samples.jsonl every ~FLUSH_EVERY_S seconds."""
    import time

    from seccodegen.sample import stage
    from seccodegen.sample.engine import Completion

    class Slow:  # 20 ms per generated sequence
        tokenizer = None

        def generate(self, prompts, n, *args, **kwargs):
            time.sleep(0.02 * n * len(prompts))
            return [[Completion("    x();\n}\n", "stop", 3, 9)] * n for _ in prompts]

    monkeypatch.setattr(stage, "FLUSH_EVERY_S", 0.05)  # stands for 30 s: ~2 sequences per batch
    cfg = _config(tiny_model_dir, tmp_path / "timed", n=2, batch_size=256)
    on_disk = []
    run(cfg, engine=Slow(), on_batch=lambda k: on_disk.append(len(read_jsonl(tmp_path / "timed" / "samples.jsonl"))))
    assert len(on_disk) > 2 and on_disk[0] == 2 and on_disk == sorted(on_disk)  # written batch by batch
