"""Recipes: named tuning methods with their own data, train and sample settings (issue 19)."""

import pytest

from seccodegen.errors import ConfigError
from seccodegen.runner.experiment import load_experiment
from seccodegen.runner.plan import build_plan

EXPERIMENT = """
name: t
out: {out}
models: [{{name: tiny, model: "builtin:tiny-random"}}]
methods: [base, base-chat, lora, pairs-ul, pairs-ul-completion]
granularities: [block]
dataset: {{sources: [{{format: vulnfix-jsonl, path: commits.jsonl}}]}}
train: {{max_steps: 3, pairs: {{dpo_beta: 0.2}}}}
sample: {{n: 2}}
recipes:
  - {{name: base-chat, method: base, sample: {{chat: true}}}}
  - name: pairs-ul
    method: lora
    granularities: [function]
    dataset: {{sources: [{{format: safecoder-pairs, path: pairs/}}]}}
    train: {{objective: masked-unlikelihood, chat_template: true, pairs: {{unlikelihood_weight: 2.0}}}}
    sample: {{chat: true}}
  - name: pairs-ul-completion
    method: lora
    granularities: [function]
    dataset: {{sources: [{{format: safecoder-pairs, path: pairs/}}]}}
    train: {{objective: masked-unlikelihood, chat_template: true, pairs: {{unlikelihood_weight: 2.0}}}}
    sample: {{chat: false}}
"""


def _plan(tmp_path, text=EXPERIMENT):
    p = tmp_path / "exp.yaml"
    p.write_text(text.format(out=tmp_path / "runs"))
    return build_plan(load_experiment(str(p)))


def test_recipes_bring_their_own_data_train_and_sample_settings(tmp_path):
    plan = _plan(tmp_path)
    datasets = [s for s in plan.steps if s.stage == "dataset"]
    trains = {s.label: s for s in plan.steps if s.stage == "train"}
    assert len(datasets) == 2  # the experiment's commits and the recipe's pairs
    # the two pairs recipes train identically, so they share one train step (sampled two ways)
    assert sorted(trains) == ["tiny-lora-block-all", "tiny-pairs-ul-function-all"]
    ul = trains["tiny-pairs-ul-function-all"].settings
    assert ul["objective"] == "masked-unlikelihood" and ul["chat_template"] and ul["method"] == "lora"
    assert ul["pairs"] == {"dpo_beta": 0.2, "unlikelihood_weight": 2.0}  # merged, not replaced
    assert ul["max_steps"] == 3 and ul["granularity"] == "function"
    assert trains["tiny-pairs-ul-function-all"].deps[0].settings["sources"][0]["format"] == "safecoder-pairs"
    samples = {s.label: s.settings for s in plan.steps if s.stage == "sample"}
    assert samples["tiny-base-chat-baseline"]["chat"] is True and "chat" not in samples["tiny-base-baseline"]
    assert samples["tiny-pairs-ul-function-all-baseline"]["chat"] is True
    assert samples["tiny-pairs-ul-completion-function-all-baseline"]["chat"] is False
    assert {c.coords["method"] for c in plan.cells} == {"base", "base-chat", "lora", "pairs-ul", "pairs-ul-completion"}


def test_a_plain_experiment_keeps_its_step_keys(tmp_path):
    """Adding recipes to the code must not change the addresses of finished steps."""
    plain = EXPERIMENT.split("recipes:")[0].replace(", base-chat, lora, pairs-ul, pairs-ul-completion", ", lora")
    keys = {s.label: s.key for s in _plan(tmp_path, plain).steps}
    with_recipes = {s.label: s.key for s in _plan(tmp_path).steps}
    assert all(with_recipes[label] == key for label, key in keys.items())


@pytest.mark.parametrize(
    "bad, message",
    [
        ("  - {{name: base, method: base}}\n", "other than 'base'"),
        ("  - {{name: x, method: base, train: {{lr: 1}}}}\n", "sample settings only"),
        ("  - {{name: base-chat, method: base}}\n", "unique"),
        ("  - {{name: x, method: base, dataset_sizes: [10]}}\n", "sample settings only"),
        ("  - {{name: x, method: lora, dataset_sizes: [half]}}\n", "recipe x: dataset_sizes: 'half'"),
    ],
)
def test_bad_recipes_are_one_line_errors(tmp_path, bad, message):
    with pytest.raises(ConfigError, match=message):
        _plan(tmp_path, EXPERIMENT + bad)


def test_a_recipe_trains_on_its_own_dataset_sizes(tmp_path):
    """A data-size ablation of one recipe: its nested subsets, without the rest of the grid's."""
    text = EXPERIMENT.replace("methods: [base,", "methods: [pairs-ul-subset, base,") + (
        "  - {{name: pairs-ul-subset, method: lora, granularities: [function], dataset_sizes: [5, 10],\n"
        "     dataset: {{sources: [{{format: safecoder-pairs, path: pairs/}}]}}}}\n"
    )
    plan = _plan(tmp_path, text)
    trains = {s.label: s for s in plan.steps if s.stage == "train"}
    assert sorted(trains) == ["tiny-lora-block-all", "tiny-pairs-ul-function-all",
                              "tiny-pairs-ul-subset-function-10", "tiny-pairs-ul-subset-function-5"]
    assert trains["tiny-pairs-ul-subset-function-5"].settings["size"] == "5"
    assert trains["tiny-pairs-ul-subset-function-5"].deps[0].settings["sizes"] == [5]
    sizes = {c.coords["dataset_size"] for c in plan.cells if c.coords["method"] == "pairs-ul-subset"}
    assert sizes == {"5", "10"}
