"""HumanEval-X harness: truncation, execution statuses, pass@k from a fake engine, Fisher compare."""

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seccodegen.cli import app
from seccodegen.humaneval.compare import compare
from seccodegen.humaneval.core import HumanEvalConfig, run
from seccodegen.humaneval.tasks import load_tasks, open_braces, truncate_at_function_end
from seccodegen.sandbox import ExecNotAllowedError

FIXTURE = Path(__file__).parents[1] / "fixtures" / "humaneval" / "tasks.jsonl"
SHARED = Path(__file__).parents[2].parent / "shared" / "data" / "humanevalx" / "humaneval_cpp.jsonl.gz"


def test_truncation_ignores_braces_in_strings_and_comments():
    text = '  if (x) { s = "}"; }\n  return 1; // }\n}\nint main() {}\n'
    assert truncate_at_function_end(text) == '  if (x) { s = "}"; }\n  return 1; // }\n}'
    assert truncate_at_function_end("  return a;\n") == "  return a;\n"
    assert open_braces("int f(){\n for(;;){\n") == 2
    assert truncate_at_function_end("  x++;\n  }\n  return 0;\n}\nrest", depth=2) == "  x++;\n  }\n  return 0;\n}"


def test_canonical_statuses_on_fixture(tmp_path):
    res = CliRunner().invoke(
        app, ["humaneval", "canonical", "--data", str(FIXTURE), "--out", str(tmp_path / "c"), "--allow-exec"]
    )
    assert res.exit_code == 0, res.output
    tasks = {r["task_id"]: r for r in map(json.loads, (tmp_path / "c" / "tasks.jsonl").read_text().splitlines())}
    assert tasks["CPP/0"]["c"] == 1 and tasks["CPP/1"]["c"] == 1
    assert tasks["CPP/2"]["could_not_run"] and "libboost-dev" in tasks["CPP/2"]["detail"]
    summary = json.loads((tmp_path / "c" / "summary.json").read_text())
    assert summary["pass@1"] == 1.0 and summary["could_not_run"] == ["CPP/2"]


def test_exec_needs_consent(tmp_path):
    with pytest.raises(ExecNotAllowedError):
        run(HumanEvalConfig(data=str(FIXTURE), canonical=True, out=str(tmp_path / "x")))


@dataclass
class FakeCompletion:
    text: str
    finish_reason: str = "length"


class FakeEngine:
    """CPP/0: 3 of 4 samples right; CPP/1: 0 of 4 (a compile error and wrong answers)."""

    def generate(self, prompts, n, temperature, top_p, max_new_tokens, seed, stop=None):
        out = []
        for p in prompts:
            if "add(" in p:
                out.append([FakeCompletion("    return a + b;\n}\nint junk(){}\n")] * 3
                           + [FakeCompletion("    return a - b;\n}\n")])
            elif "count_braces" in p:
                out.append([FakeCompletion("    return 0;\n}\n"), FakeCompletion("    return oops\n}\n")] * 2)
            else:
                out.append([FakeCompletion("    return 1;\n}\n")] * n)
        return out


def test_pass_at_k_with_fake_engine_and_compare(tmp_path, monkeypatch):
    import seccodegen.sample.engine as engine_mod

    monkeypatch.setattr(engine_mod, "make_engine", lambda *a, **k: FakeEngine(), raising=False)
    cfg = HumanEvalConfig(data=str(FIXTURE), model="fake", n=4, out=str(tmp_path / "a"), allow_exec=True)
    out = run(cfg)
    summary = json.loads((out / "summary.json").read_text())
    # pass@1 = mean(3/4, 0/4) over the 2 runnable tasks
    assert math.isclose(summary["pass@1"], 0.375) and summary["tasks_run"] == 2
    statuses = [json.loads(x)["status"] for x in (out / "samples.jsonl").read_text().splitlines()]
    assert "compile_error" in statuses and "failed" in statuses
    canon = run(HumanEvalConfig(data=str(FIXTURE), canonical=True, out=str(tmp_path / "b"), allow_exec=True))
    cmp = compare(canon, out)
    assert cmp.pass1_a == 1.0 and math.isclose(cmp.pass1_b, 0.375)
    assert cmp.significant == 0  # 1 vs 1 sample per task cannot reach p < 0.05
    assert "pass@1" in cmp.markdown("canonical", "fake")


def test_missing_field_is_one_line_error(tmp_path):
    from seccodegen.errors import InputError

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task_id": "CPP/0", "prompt": "x"}\n')
    with pytest.raises(InputError, match="lacks field"):
        load_tasks(bad)


@pytest.mark.skipif(not SHARED.is_file(), reason="shared HumanEval-X data not present")
def test_shipped_canonical_solutions_pass(tmp_path):
    """The harness's own check: 163 of 164 canonical solutions pass with boost/openssl installed;
    CPP/38's canonical solution does not close the function its declaration opens (a data bug)."""
    out = run(HumanEvalConfig(data=str(SHARED), canonical=True, out=str(tmp_path / "c"), allow_exec=True))
    rows = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    failed = sorted(r["task_id"] for r in rows if r["status"] not in ("passed", "could_not_run"))
    assert failed == ["CPP/38"], failed
