"""Evaluate your own prompts (docs/scenarios.md): sample -> judge -> report on the shipped JSONL example."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from seccodegen.cli import app
from seccodegen.judge.config import JudgeConfig
from seccodegen.judge.stage import judge_records
from seccodegen.records import read_jsonl
from seccodegen.scenarios import EXAMPLE_PROMPTS

PROGRAM = "import sys\n\n\ndef shout(s):\n    return s.upper()\n\n\nprint(shout(sys.argv[1]))\n"


def test_own_prompts_end_to_end_on_the_tiny_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    suite = str(EXAMPLE_PROMPTS)
    sample = runner.invoke(app, [
        "sample", "--model", str(tiny_model_dir), "--scenarios", suite, "--n", "1",
        "--max-new-tokens", "8", "--device", "cpu", "--out", str(tmp_path / "samples"),
    ])  # fmt: skip
    assert sample.exit_code == 0, sample.output
    judge = runner.invoke(app, [
        "judge", str(tmp_path / "samples" / "samples.jsonl"), "--scenarios", suite, "--allow-exec",
        "--analyzers", "bandit,cppcheck", "--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "judged"),
    ])  # fmt: skip
    assert judge.exit_code == 0, judge.output
    results = read_jsonl(tmp_path / "judged" / "results.jsonl")
    assert len(results) == 3
    assert all(r["correct"] is None and r["tests"] is None for r in results)  # no tests, even with --allow-exec
    report = runner.invoke(app, ["report", str(tmp_path / "judged"), "--out", str(tmp_path / "report")])
    assert report.exit_code == 0, report.output
    text = (tmp_path / "report" / "report.md").read_text()
    assert "## Scenarios covered by each ratio" in text
    assert "| valid | 3 | 3 |" in text and "| secure&correct | 0 | 3 |" in text


def test_only_scenarios_with_tests_get_a_correct_verdict(tmp_path: Path) -> None:
    base = {"language": "python", "cwe": "CWE-20", "prompt": "import sys\n\n\ndef shout(s):\n"}
    tests = [{"name": "hi", "args": ["hi"], "expect_stdout": "HI"}]
    suite = tmp_path / "p.jsonl"
    suite.write_text(
        json.dumps({**base, "id": "python/cwe-20/tested", "tests": tests}) + "\n"
        + json.dumps({**base, "id": "python/cwe-20/untested"}) + "\n"
    )
    # different code per record: the judge shares one analysis between identical programs
    records = [{"id": f"r{i}", "scenario_id": f"python/cwe-20/{name}", "code": PROGRAM + f"# {name}\n"}
               for i, name in enumerate(("tested", "untested"))]  # fmt: skip
    cfg = JudgeConfig(
        scenarios=str(suite), analyzers=("bandit",), cache_dir=str(tmp_path / "cache"), allow_exec=True, jobs=1
    )
    tested, untested = judge_records(records, cfg)
    assert tested["valid"] and tested["correct"] is True and tested["tests"]["passed"]
    assert untested["valid"] and untested["correct"] is None and untested["tests"] is None
