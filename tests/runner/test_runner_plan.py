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
dataset: {{sources: [{{format: vulnfix-jsonl, path: {data}}}]}}
"""


def write(tmp_path, text=EXPERIMENT):
    p = tmp_path / "exp.yaml"
    (tmp_path / "data.jsonl").touch()  # run checks that inputs exist before anything runs
    p.write_text(text.format(out=tmp_path / "runs", data=tmp_path / "data.jsonl"))
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


def test_model_narrows_methods_and_granularities(tmp_path):
    text = EXPERIMENT.replace("methods: [base, lora]", "methods: [base, lora, ia3]").replace(
        'models: [{{name: tiny, model: "builtin:tiny-random"}}]',
        'models: [{{name: tiny, model: "builtin:tiny-random"}}, '
        '{{name: small, model: "/no/such/model", methods: [base, lora], granularities: [function]}}]',
    )
    plan = build_plan(load_experiment(str(write(tmp_path, text))))
    trains = sorted(s.label for s in plan.steps if s.stage == "train")
    assert trains == [
        "small-lora-function-all",
        "tiny-ia3-block-all", "tiny-ia3-function-all", "tiny-lora-block-all", "tiny-lora-function-all",
    ]  # fmt: skip
    bad = EXPERIMENT.replace(
        'model: "builtin:tiny-random"}}', 'model: "builtin:tiny-random", granularities: [line]}}'
    )
    with pytest.raises(ConfigError, match="granularity 'line'"):
        load_experiment(str(write(tmp_path, bad)))


def test_order_is_cell_by_cell_with_dependencies_first(tmp_path):
    plan = build_plan(load_experiment(str(write(tmp_path))))
    order = plan.ordered()
    position = {id(s): i for i, s in enumerate(order)}
    assert len(order) == len(plan.steps)
    for step in order:
        assert all(position[id(d)] < position[id(step)] for d in step.deps)
    # the pretrained cells are judged before any model is trained
    first_train = min(position[id(s)] for s in order if s.stage == "train")
    base_judges = [position[id(c.judge)] for c in plan.cells if c.coords["method"] == "base"]
    assert max(base_judges) < first_train


def test_stage_filter_runs_only_ready_steps_of_those_stages(tmp_path):
    from seccodegen.runner.core import run

    exp = load_experiment(str(write(tmp_path)))
    calls = []
    plan = build_plan(exp)
    base_sample = next(s for s in plan.steps if s.stage == "sample" and not s.deps)
    open_artifact(base_sample.path, "sample", {"x": 1}).finish()
    import seccodegen.runner.execute as ex

    class Runners:
        def get(self, stage):
            return lambda step, force: calls.append((stage, step.label))

    saved = ex.STAGE_RUNNERS
    ex.STAGE_RUNNERS = Runners()
    try:
        outcome = run(exp, stages=("judge",))
    finally:
        ex.STAGE_RUNNERS = saved
    assert calls == [("judge", base_sample.label)]  # only the judge whose samples are finished
    assert len(outcome.waiting) == 3 and outcome.report is None
    # a step whose input is made earlier in the same call is ready too (sample, then its judge)
    calls.clear()
    ex.STAGE_RUNNERS = Runners()
    try:
        outcome = run(exp, stages=("sample", "judge"))
    finally:
        ex.STAGE_RUNNERS = saved
    other_base = next(s for s in plan.steps if s.stage == "sample" and not s.deps and s is not base_sample)
    assert ("sample", other_base.label) in calls and ("judge", other_base.label) in calls
    assert calls.index(("sample", other_base.label)) < calls.index(("judge", other_base.label))
    assert len(outcome.waiting) == 4  # the tuned cells' samples and judges wait for training
    with pytest.raises(Exception, match="--stages: unknown stage 'jugde'"):
        run(exp, stages=("jugde",))
    with pytest.raises(Exception, match="--models: nope not in"):
        run(exp, models=("nope",))


def test_shards_split_the_grid_into_whole_units(tmp_path):
    from seccodegen.runner.core import parse_shard

    plan = build_plan(load_experiment(str(write(tmp_path))))
    units = plan.units()
    # dataset; the pretrained cells; one unit per training step with its sample and judge
    assert [len(u) for u in units] == [1, 4, 3, 3]
    assert units[0][0].stage == "dataset" and {s.stage for s in units[1]} == {"sample", "judge"}
    shards = [plan.shard(i, 2) for i in range(2)]
    assert shards[0].isdisjoint(shards[1]) and len(shards[0] | shards[1]) == len(plan.steps)
    for unit in units:  # a unit is never split over shards
        assert sum(all(id(s) in shard for s in unit) for shard in shards) == 1
    assert parse_shard("1/3") == (1, 3) and parse_shard("") is None
    with pytest.raises(Exception, match="write I/N"):
        parse_shard("3/3")


def test_dry_run_checks_every_step_config_input_and_model_first(tmp_path):
    """A nested typo, a missing input or a missing model is one line naming the file and the key,
    before any step runs (not when the first training step starts after sampling)."""

    def dry(text):  # the message `seccodegen` prints as "error: ..." (CliRunner skips main())
        res = CliRunner().invoke(app, ["run", str(write(tmp_path, text)), "--dry-run"])
        assert isinstance(res.exception, ConfigError), res.output
        message = str(res.exception)
        assert "\n" not in message and "exp.yaml" in message
        return message

    assert "'train.max_stepz'" in dry(EXPERIMENT + "train: {{max_stepz: 2}}\n")
    assert "'sample.temperature'" in dry(EXPERIMENT + "sample: {{temperature: hot}}\n")
    message = dry(EXPERIMENT.replace("path: {data}", "path: {out}/nowhere.jsonl"))
    assert "dataset.sources[0].path" in message and "nowhere.jsonl does not exist" in message
    assert "no-suite does not exist" in dry(EXPERIMENT + "suites: [{out}/no-suite]\n")
    message = dry(EXPERIMENT.replace('"builtin:tiny-random"', "{out}/no-model.gguf"))
    assert "model tiny" in message and "no-model.gguf" in message
    assert not (tmp_path / "runs").exists()  # nothing ran


def test_shard_help_shows_a_single_percent_sign():
    res = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0 and "k % N == I" in res.output and "%%" not in res.output


def test_methods_filter_narrows_the_grid_and_rejects_unknown_names(tmp_path):
    from seccodegen.errors import SeccodegenError
    from seccodegen.runner.core import select

    exp = load_experiment(str(write(tmp_path)))
    plan = build_plan(select(exp, (), (), ("lora",)))
    assert {c.coords["method"] for c in plan.cells} == {"lora"}
    assert not [s for s in plan.steps if s.stage == "sample" and not s.deps]  # no pretrained cell
    with pytest.raises(SeccodegenError, match="--methods: loar not among"):
        select(exp, (), (), ("loar",))


def test_a_finished_step_is_found_by_its_hash_whatever_its_label(tmp_path):
    # the train step's label comes from the first method that needs it: narrowing the grid with
    # --methods (or reordering methods) renames it, and the finished work must still be found
    text = EXPERIMENT.replace("methods: [base, lora]", "methods: [base, lora, lora-again]") + (
        "recipes: [{{name: lora-again, method: lora, sample: {{temperature: 0.5}}}}]\n"
    )
    exp = load_experiment(str(write(tmp_path, text)))
    train = next(s for s in build_plan(exp).steps if s.stage == "train")
    assert "-lora-block-" in train.path.name
    open_artifact(train.path, "train", {"x": 1}).finish()
    from seccodegen.runner.core import select

    narrowed = build_plan(select(exp, (), (), ("lora-again",)))
    again = next(s for s in narrowed.steps if s.stage == "train" and s.key == train.key)
    assert again.label != train.label and again.cached and again.path == train.path
    unfinished = next(s for s in narrowed.steps if s.stage == "train" and s.key != train.key)
    assert "lora-again" in unfinished.path.name and not unfinished.cached


def test_cells_filter_keeps_matching_cells_and_only_the_steps_they_need(tmp_path):
    from seccodegen.errors import SeccodegenError

    plan = build_plan(load_experiment(str(write(tmp_path))))
    narrowed = plan.narrowed(("tiny/lora/block/*/baseline", "tiny/base/*/*/generic"))
    labels = sorted("/".join(c.coords[k] for k in ("method", "granularity", "prompt_style")) for c in narrowed.cells)
    assert labels == ["base/-/generic", "lora/block/baseline"]
    stages = sorted(s.stage for s in narrowed.steps)
    # one dataset, the block training only, and a sample + judge per kept cell
    assert stages == ["dataset", "judge", "judge", "sample", "sample", "train"]
    assert [s for s in narrowed.steps if s.stage == "train"][0].label.endswith("-block-all")
    assert plan.narrowed(()) is plan
    with pytest.raises(SeccodegenError, match="--cells tiny/ia3/.*matches no cell; labels look like tiny/base"):
        plan.narrowed(("tiny/ia3/*",))


def test_cells_option_runs_only_those_cells(tmp_path):
    exp = write(tmp_path)
    result = CliRunner(env={"COLUMNS": "250"}).invoke(app, ["run", str(exp), "--dry-run", "--cells", "tiny/lora/function/*/*"])
    assert result.exit_code == 0, result.output
    assert "plan: t (1 cells)" in result.output
    assert "tiny-lora-function-all-baseline" in result.output
    assert "tiny-lora-block" not in result.output and "tiny-base-generic" not in result.output
