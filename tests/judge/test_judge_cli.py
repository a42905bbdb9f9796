"""The real CLI on external JSONL: one result per valid input line, malformed lines reported, cache, SARIF."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seccodegen.cli import app

FIX = Path(__file__).parents[1] / "fixtures" / "judge"
FAST = "gcc-warnings,cppcheck,bandit"  # quick analyzers: the smoke test stays a few seconds


def _write_samples(path: Path) -> list[dict]:
    records = [
        {"id": "c-oob-vuln", "language": "c", "cwe": "CWE-787", "code": (FIX / "oob_vuln.c").read_text()},
        {"id": "c-oob-safe", "language": "c", "cwe": "CWE-787", "code": (FIX / "oob_safe.c").read_text()},
        {
            "id": "py-cmd-vuln",
            "language": "python",
            "cwe": "CWE-78",
            "code": (FIX / "cmd_vuln.py").read_text(),
        },
        {"id": "c-broken", "language": "c", "cwe": "CWE-787", "code": "int main( {\n"},
    ]
    lines = [json.dumps(r) for r in records]
    lines.insert(2, "{this is not json")  # line 3
    lines.append(json.dumps({"id": "no-code", "language": "c"}))  # line 6: no code
    path.write_text("\n".join(lines) + "\n")
    return records


def _invoke(*args: str):
    return CliRunner().invoke(app, ["judge", *args], catch_exceptions=False)


def test_cli_external_jsonl(tmp_path: Path) -> None:
    samples = tmp_path / "samples.jsonl"
    records = _write_samples(samples)
    out = tmp_path / "out"
    cache = tmp_path / "cache"
    res = _invoke(
        str(samples), "--out", str(out), "--analyzers", FAST, "--cache-dir", str(cache), "--jobs", "2"
    )
    assert res.exit_code == 0, res.output
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in results] == [r["id"] for r in records]  # one per valid line, input order
    by_id = {r["id"]: r for r in results}
    assert by_id["c-oob-vuln"]["secure"] is False and by_id["c-oob-vuln"]["valid"] is True
    assert by_id["c-oob-safe"]["secure"] is True
    assert by_id["py-cmd-vuln"]["secure"] is False
    assert by_id["c-broken"]["valid"] is False and "error" in by_id["c-broken"]["compile_error"]
    assert "seccodegen-judge" not in by_id["c-broken"]["compile_error"]  # no temp paths leak
    for r in results:
        assert r["correct"] is None  # no --allow-exec
        assert len(r["code_sha256"]) == 64 and r["code"]  # input fields kept
        assert set(r["analyzers"]) <= set(FAST.split(","))
    bad = [json.loads(line) for line in (out / "bad_lines.jsonl").read_text().splitlines()]
    assert [b["line"] for b in bad] == [3, 6]
    sarif = json.loads((out / "results.sarif").read_text())
    assert sarif["version"] == "2.1.0" and any(run["results"] for run in sarif["runs"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "finished" and manifest["outputs"]["bad_lines"] == 2

    # finished output is not overwritten without --force
    again = CliRunner().invoke(app, ["judge", str(samples), "--out", str(out), "--analyzers", FAST])
    assert again.exit_code != 0


def test_cache_serves_second_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seccodegen.judge import judge_records
    from seccodegen.judge.analyzers.cppcheck import Cppcheck
    from seccodegen.judge.config import JudgeConfig

    code = (FIX / "oob_vuln.c").read_text()
    records = [{"id": "a", "language": "c", "cwe": "CWE-787", "code": code}]
    cfg = JudgeConfig(analyzers=("cppcheck",), cache_dir=str(tmp_path / "cache"), jobs=1)
    first = judge_records(records, cfg)
    assert first[0]["secure"] is False

    def no_second_run(*args, **kwargs):
        raise AssertionError("cppcheck ran although its result is cached")

    monkeypatch.setattr(Cppcheck, "run", no_second_run)
    second = judge_records(records + [{"id": "b", "language": "c", "cwe": "CWE-787", "code": code}], cfg)
    assert [r["secure"] for r in second] == [False, False]  # same content -> judged once, from cache
    assert second[0]["findings"] == first[0]["findings"]


def test_missing_tool_is_reported_not_secure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seccodegen.judge import judge_records
    from seccodegen.judge.analyzers.cppcheck import Cppcheck
    from seccodegen.judge.config import JudgeConfig

    monkeypatch.setattr(Cppcheck, "available", lambda self: False)
    cfg = JudgeConfig(analyzers=("cppcheck",), cache_dir=str(tmp_path / "cache"), jobs=1)
    out = judge_records(
        [{"id": "a", "language": "c", "cwe": "CWE-787", "code": "int main(void){return 0;}\n"}], cfg
    )
    assert out[0]["analyzers"] == {"cppcheck": "missing"}
    assert out[0]["secure"] is None


def test_allow_exec_runs_scenario_tests(tmp_path: Path) -> None:
    from seccodegen.judge import judge_records
    from seccodegen.judge.config import JudgeConfig

    scenarios = pytest.importorskip("seccodegen.scenarios.model").load_suite()
    scenario = next(s for s in scenarios if s.language == "c")
    records = [
        {
            "id": f"x::{kind}",
            "scenario_id": scenario.id,
            "code": scenario.assemble(getattr(scenario.completions, kind)[0]),
        }
        for kind in ("secure",)
    ] + [{"id": "broken", "scenario_id": scenario.id, "code": scenario.prompt + "}}}"}]
    cfg = JudgeConfig(analyzers=("cppcheck",), cache_dir=str(tmp_path / "cache"), allow_exec=True, jobs=2)
    out = judge_records(records, cfg)
    assert out[0]["correct"] is True and out[0]["tests"]["n_total"] == len(scenario.tests)
    assert out[0]["cwe"] == scenario.cwe and out[0]["language"] == scenario.language
    assert out[1]["valid"] is False and out[1]["correct"] is None  # invalid code is never run


def test_analyze_invalid_false_skips_programs_that_do_not_compile(tmp_path: Path) -> None:
    from seccodegen.judge import judge_records
    from seccodegen.judge.config import JudgeConfig

    code = (FIX / "oob_vuln.c").read_text()
    broken = code + "\nint broken( {\n"
    records = [
        {"id": "ok", "language": "c", "cwe": "CWE-787", "code": code},
        {"id": "bad", "language": "c", "cwe": "CWE-787", "code": broken},
    ]
    both = judge_records(records, JudgeConfig(analyzers=("cppcheck",), cache_dir=str(tmp_path / "c1"), jobs=1))
    assert [r["valid"] for r in both] == [True, False]
    assert both[1]["analyzers"]["cppcheck"] == "ok"  # default: invalid code is analyzed too
    cfg = JudgeConfig(analyzers=("cppcheck",), cache_dir=str(tmp_path / "c2"), jobs=1, analyze_invalid=False)
    valid_only = judge_records(records, cfg)
    assert valid_only[0]["secure"] is False and valid_only[0]["analyzers"]["cppcheck"] == "ok"
    assert valid_only[1]["secure"] is None and valid_only[1]["findings"] == []
    assert valid_only[1]["analyzers"]["cppcheck"] == "skipped: does not compile"
