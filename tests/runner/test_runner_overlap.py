"""`seccodegen run` judges a cell on a background thread while the next cell samples (issue 21):
same results as one step at a time, dependencies kept, failures named, Ctrl-C resumable."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

import seccodegen.runner.execute as ex
from seccodegen.artifacts import open_artifact
from seccodegen.errors import SeccodegenError
from seccodegen.interrupt import RESUME_LINE, descendants
from seccodegen.runner.execute import collect_humaneval, collect_results, execute
from seccodegen.runner.experiment import load_experiment
from seccodegen.runner.overlap import StepFailedError
from seccodegen.runner.plan import build_plan
from seccodegen.runner.stages import STAGE_RUNNERS as REAL_RUNNERS

HUMANEVAL_TASKS = Path(__file__).parents[1] / "fixtures" / "humaneval" / "tasks.jsonl"

# two pretrained cells (two prompt styles): sample 1, judge 1, sample 2, judge 2
EXPERIMENT = """
name: overlap
out: {out}
models: [{{name: tiny, model: "builtin:tiny-random"}}]
methods: [base]
prompt_styles: {styles}
languages: [c]
scenario_ids: [c/cwe-78/count-lines-wc]
sample: {{n: 2, max_new_tokens: 16}}
judge: {{analyzers: [gcc-warnings], cache_dir: "{out}/judge-cache"}}
overlap_cpu_steps: {overlap}
"""


def experiment(tmp_path, name, overlap=True, styles="[baseline, generic]", extra=""):
    path = tmp_path / f"{name}.yaml"
    path.write_text(EXPERIMENT.format(out=tmp_path / name, overlap=str(overlap).lower(), styles=styles) + extra)
    return load_experiment(str(path))


class Runners:
    """Stage runners that record each step's (stage, label, start, end). ``real``: the real stage
    runners, else fakes without a model or tools (they open and finish the step's artifact).
    ``waits``: step -> a step that must have started before it goes on (within 60 s), which can
    only happen if the two run at the same time; ``fail``: steps that raise a stage error (with
    ``stop``: a Ctrl-C)."""

    def __init__(self, real=False, waits=None, fail=(), stop=False):
        self.real, self.waits, self.fail, self.stop = real, waits or {}, set(fail), stop
        self.started = {}
        self.spans, self.lock = [], threading.Lock()

    def get(self, stage):
        def run(step, force):
            key, start = (stage, step.label), time.monotonic()
            with self.lock:
                self.started.setdefault(key, threading.Event()).set()
                other = self.started.setdefault(self.waits[key], threading.Event()) if key in self.waits else None
            try:
                assert other is None or other.wait(60), f"{key} ran alone: {self.waits[key]} did not start"
                if self.real:
                    REAL_RUNNERS.get(stage)(step, force=force)
                    return
                art = open_artifact(step.path, stage, {"label": step.label})
                if key in self.fail:
                    if self.stop:
                        raise KeyboardInterrupt
                    raise SeccodegenError(f"{stage} broke on {step.label}")
                art.finish()
            finally:
                with self.lock:
                    self.spans.append((stage, step.label, start, time.monotonic()))

        return run


def run_with(tmp_path, monkeypatch, name, runners, overlap=True, **kwargs):
    plan = build_plan(experiment(tmp_path, name, overlap, **kwargs))
    monkeypatch.setattr(ex, "STAGE_RUNNERS", runners)  # until the test ends: its threads may still run
    execute(plan, Console(stderr=True))
    return plan


FIRST, SECOND = "tiny-base-baseline", "tiny-base-generic"  # the two cells' step labels


# HumanEval-X on the three fixture tasks, one completion each: generated on the main thread, run on the other
HUMANEVAL = f"""
humaneval: {{enabled: true, data: "{HUMANEVAL_TASKS}", settings: {{n: 1, max_new_tokens: 16}}}}
allow_exec: true
"""


def test_overlap_judges_beside_sampling_with_the_sequential_results(tmp_path, tiny_model_dir, monkeypatch):
    from seccodegen.humaneval.core import Generated

    executed_on, original = [], Generated.execute  # the thread that runs HumanEval's programs

    def recorded(self):
        executed_on.append(threading.current_thread().name)
        return original(self)

    runs = {}
    for overlap in (True, False):
        runners = Runners(real=True, waits={("judge", FIRST): ("sample", SECOND)} if overlap else None)
        monkeypatch.setattr(Generated, "execute", recorded)
        plan = run_with(tmp_path, monkeypatch, f"overlap-{overlap}", runners, overlap, extra=HUMANEVAL)
        runs[overlap] = (plan, runners.spans, collect_results(plan), collect_humaneval(plan))
    assert executed_on == ["seccodegen-cpu-steps", "MainThread"]
    plan, order, results, humaneval = runs[True]
    spans = {(stage, label): (start, end) for stage, label, start, end in order}
    judge_1, sample_2 = spans[("judge", FIRST)], spans[("sample", SECOND)]
    assert sample_2[0] < judge_1[1] and judge_1[0] < sample_2[1]  # the two ran at the same time
    assert spans[("sample", FIRST)][1] <= judge_1[0]  # a judge starts after its samples exist
    assert all(s.cached for s in plan.steps)
    _, sequential, expected, expected_humaneval = runs[False]
    assert [s[:2] for s in sequential] == [(s.stage, s.label) for s in plan.ordered()]
    assert all(a[3] <= b[2] for a, b in zip(sequential, sequential[1:]))  # one step at a time
    assert len(results) == 4 and results["valid"].notna().all()
    by_id = ["prompt_style", "id"]
    pd.testing.assert_frame_equal(
        results.sort_values(by_id).reset_index(drop=True), expected.sort_values(by_id).reset_index(drop=True)
    )
    assert len(humaneval) == 3  # the fixture's tasks
    pd.testing.assert_frame_equal(humaneval, expected_humaneval)


def finished(tmp_path, name):
    return {(s.stage, s.label) for s in build_plan(experiment(tmp_path, name)).steps if s.cached}


def test_a_background_failure_is_the_same_one_line_error_and_keeps_finished_steps(tmp_path, monkeypatch):
    broken = ("judge", FIRST)
    with pytest.raises(StepFailedError) as sequential:
        run_with(tmp_path, monkeypatch, "seq", Runners(fail=[broken]), overlap=False)
    runners = Runners(fail=[broken], waits={broken: ("sample", SECOND)})
    with pytest.raises(StepFailedError) as overlapped:
        run_with(tmp_path, monkeypatch, "ovl", runners)
    assert str(overlapped.value) == str(sequential.value) == f"judge step {FIRST} failed: judge broke on {FIRST}"
    assert ("judge", SECOND) not in runners.started  # nothing starts after a failure
    assert finished(tmp_path, "ovl") == {("sample", FIRST), ("sample", SECOND)}


def test_a_main_thread_failure_lets_the_judge_in_flight_finish(tmp_path, monkeypatch):
    runners = Runners(fail=[("sample", SECOND)], waits={("judge", FIRST): ("sample", SECOND)})
    with pytest.raises(StepFailedError, match=f"^sample step {SECOND} failed: sample broke"):
        run_with(tmp_path, monkeypatch, "ovl", runners)
    assert finished(tmp_path, "ovl") == {("sample", FIRST), ("judge", FIRST)}


def test_overlap_only_with_model_and_cpu_steps_to_do(tmp_path, monkeypatch):
    from seccodegen.runner.overlap import should_overlap

    steps = build_plan(experiment(tmp_path, "x")).ordered()
    assert should_overlap(True, steps) and not should_overlap(False, steps)
    assert not should_overlap(True, [s for s in steps if s.stage == "judge"])  # --stages judge
    assert not should_overlap(True, [s for s in steps if s.stage == "sample"])


def test_ctrl_c_drops_the_queued_cpu_steps(tmp_path, monkeypatch):
    """Without the CLI's handler (the Python API): the judge in flight ends, the queued one never starts."""
    third, released = "tiny-base-specific", ("test", "released")
    # Ctrl-C while sampling the third cell; the first judge runs until the test releases it,
    # so the second one is queued behind it
    runners = Runners(waits={("judge", FIRST): released}, fail=[("sample", third)], stop=True)
    with pytest.raises(KeyboardInterrupt):
        run_with(tmp_path, monkeypatch, "ovl", runners, styles="[baseline, generic, specific]")
    assert ("judge", SECOND) not in runners.started
    runners.started[released].set()
    for thread in threading.enumerate():
        if thread.name == "seccodegen-cpu-steps":
            thread.join(60)
    assert ("judge", FIRST) in runners.started and ("judge", SECOND) not in runners.started


# `seccodegen run` with stage runners that start a tool (in its own session, as the sandbox does)
# and wait, SLOW: in the steps whose label contains one of these words ("judge": every judge).
# Ctrl-C arrives while the first judge runs on the background thread and the main thread samples
# the second cell, or waits at the end with the second judge queued.
SCRIPT = textwrap.dedent("""
    import os, subprocess, sys, time
    import seccodegen.runner.execute as ex
    from seccodegen.artifacts import open_artifact
    from seccodegen.cli import main

    class Runners:
        def get(self, stage):
            def run(step, force):
                art = open_artifact(step.path, stage, {"label": step.label})
                (art.path / "resumed").write_text(str(art.resumed))
                if any(word in (stage, step.label) for word in os.environ["SLOW"].split(",")):
                    subprocess.Popen(["sleep", "60"], start_new_session=True)
                    time.sleep(60)
                art.finish()
            return run

    ex.STAGE_RUNNERS = Runners()
    sys.argv = ["seccodegen", "run", sys.argv[1], "--stages", "sample,judge"]
    main()
""")


@pytest.mark.parametrize("slow", ["judge,tiny-base-generic", "judge"])
def test_ctrl_c_while_overlapping_stops_within_2s_and_the_rerun_resumes(tmp_path, slow):
    exp = tmp_path / "exp.yaml"
    exp.write_text(EXPERIMENT.format(out=tmp_path / "runs", overlap="true", styles="[baseline, generic]"))
    plan = build_plan(load_experiment(str(exp)))
    step = {(s.stage, s.label): s for s in plan.steps}
    judge_1, sample_2 = step[("judge", FIRST)], step[("sample", SECOND)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [sys.executable, "-c", SCRIPT, str(exp)]
    proc = subprocess.Popen(cmd, env={**env, "SLOW": slow}, stderr=subprocess.PIPE, text=True)
    deadline, tools = time.monotonic() + 120, slow.count(",") + 1  # a sleeping tool per slow step
    while not ((judge_1.path / "resumed").exists() and (sample_2.path / "resumed").exists()
               and len(descendants(proc.pid)) >= tools):  # fmt: skip
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.05)
    children = descendants(proc.pid)
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and time.monotonic() - start < 2.0, err
    assert err.strip().splitlines()[-1] == RESUME_LINE
    time.sleep(0.2)
    assert not [pid for pid in children if _running(pid)]
    manifests = {key: s.path / "manifest.json" for key, s in step.items()}
    status = {key: json.loads(m.read_text())["status"] for key, m in manifests.items() if m.exists()}
    assert status[("sample", FIRST)] == "finished" and status[("judge", FIRST)] == "running"  # resumable
    assert status[("sample", SECOND)] == ("running" if "generic" in slow else "finished")
    assert ("judge", SECOND) not in status  # never started
    rerun = subprocess.run(cmd, env={**env, "SLOW": "-"}, stderr=subprocess.PIPE, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert all(s.cached for s in plan.steps)
    assert (judge_1.path / "resumed").read_text() == "True"  # the interrupted judge was resumed


def _running(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
