"""The experiment file: one YAML describing a grid over models x methods x granularities x dataset
sizes x prompt styles x scenario suites, plus the shared settings of each stage.

Example (configs/quick.yaml)::

    name: quick
    out: runs/quick
    models:
      - {name: smollm2-135m, model: builtin:smollm2-135m}
      # a model may narrow the grid: {name: big, model: ..., methods: [base, lora], granularities: [block]}
    methods: [base, lora, ia3]        # base = the pretrained model, no fine-tuning
    granularities: [block, function]
    dataset_sizes: [all]              # 'all' or commit counts of nested subsets, e.g. [100, 200]
    prompt_styles: [baseline, generic, specific]   # for the pretrained model
    tuned_prompt_styles: [baseline]                # for fine-tuned models (the study)
    suites: [builtin]                 # scenario directories; 'builtin' = the shipped suite
    languages: [c, cpp]
    dataset: {sources: [{format: vulnfix-jsonl, path: src/seccodegen/dataset/demo_data/commits.jsonl}]}
    train: {max_steps: 200}           # fields of the train stage's config, shared by every cell
    sample: {n: 30, temperature: 0.8, top_p: 0.9, max_new_tokens: 100}
    judge: {}
    humaneval: {enabled: false}
    allow_exec: false                 # run scenario unit tests / HumanEval (sandboxed)
    overlap_cpu_steps: true           # judge cell k while the GPU samples cell k+1

A method may also name a *recipe*: a tuning method with its own data and settings, merged over
the experiment's (configs/secure-tuning.yaml)::

    methods: [base, base-chat, safecoder]
    recipes:
      - {name: base-chat, method: base, sample: {chat: true}}
      - name: safecoder
        method: lora
        granularities: [function]
        dataset: {sources: [{format: safecoder-pairs, path: pairs/}]}
        train: {objective: masked-unlikelihood, chat_template: true}
        sample: {chat: true}
      # the same recipe on nested subsets of the fix commits only (a data-size ablation)
      - {name: safecoder-subset, method: lora, dataset_sizes: [100, 200], dataset: ..., train: ...}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seccodegen.config import load_yaml
from seccodegen.models.specs import MODEL_HELP

LANGUAGES = ("c", "cpp", "python", "java")


@dataclass(frozen=True)
class ModelEntry:
    name: str = field(metadata={"help": "short label used in tables"})
    model: str = field(metadata={"help": MODEL_HELP})
    fallback: str | None = field(default=None, metadata={"help": "model used when `model` cannot be loaded"})
    methods: tuple[str, ...] | None = field(
        default=None, metadata={"help": "this model's methods (default: the experiment's), e.g. no full for 7B"}
    )
    granularities: tuple[str, ...] | None = field(
        default=None, metadata={"help": "this model's granularities (default: the experiment's)"}
    )

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name:
            raise ValueError(f"model name {self.name!r} must be a non-empty label without '/'")
        if self.methods is not None and not self.methods:
            raise ValueError(f"model {self.name}: methods must not be empty (leave it out for the experiment's)")


@dataclass(frozen=True)
class RecipeEntry:
    """A named way to tune (or, with method base, to sample) a model; used as a method name."""

    name: str = field(metadata={"help": "label in tables and step names; listed in methods"})
    method: str = field(metadata={"help": "base, or the tuning method: lora, ia3, dora, qlora, full"})
    granularities: tuple[str, ...] | None = field(
        default=None, metadata={"help": "dataset granularities to train on (default: the model's)"}
    )
    dataset_sizes: tuple[str, ...] | None = field(
        default=None,
        metadata={"help": "'all' or commit counts of nested subsets to train on (default: the experiment's); "
                  "e.g. [172, 344] for a recipe's data-size ablation"},
    )
    dataset: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "dataset stage settings merged over the experiment's"}
    )
    train: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "train stage settings merged over the experiment's"}
    )
    sample: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "sample stage settings merged over the experiment's"}
    )

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name or self.name == "base":
            raise ValueError(f"recipe name {self.name!r} must be a label other than 'base', without '/'")
        for size in self.dataset_sizes or ():
            check_dataset_size(size, f"recipe {self.name}: dataset_sizes")
        if self.method == "base" and (self.dataset or self.train or self.granularities or self.dataset_sizes):
            raise ValueError(f"recipe {self.name}: a base recipe samples the pretrained model; "
                             "it takes sample settings only")


@dataclass(frozen=True)
class HumanEvalEntry:
    enabled: bool = field(default=False, metadata={"help": "measure HumanEval-X C++ pass@k per model cell"})
    data: str | None = field(default=None, metadata={"help": "humaneval_cpp.jsonl(.gz) path"})
    settings: dict[str, Any] = field(default_factory=dict, metadata={"help": "fields of the humaneval config"})


@dataclass(frozen=True)
class Experiment:
    name: str = field(metadata={"help": "experiment name (report title)"})
    models: tuple[ModelEntry, ...] = field(metadata={"help": "models to evaluate"})
    out: str = field(default="runs/experiment", metadata={"help": "root directory of every artifact"})
    methods: tuple[str, ...] = field(default=("base",), metadata={"help": "base and/or tuning methods"})
    granularities: tuple[str, ...] = field(default=("block",), metadata={"help": "dataset granularities"})
    dataset_sizes: tuple[str, ...] = field(default=("all",), metadata={"help": "'all' or commit counts"})
    prompt_styles: tuple[str, ...] = field(default=("baseline",), metadata={"help": "styles for base"})
    tuned_prompt_styles: tuple[str, ...] = field(default=("baseline",), metadata={"help": "styles for tuned"})
    suites: tuple[str, ...] = field(default=("builtin",), metadata={"help": "scenario suite dirs or .jsonl prompt files"})
    languages: tuple[str, ...] = field(default=("c", "cpp"), metadata={"help": "scenario languages"})
    scenario_ids: tuple[str, ...] = field(default=(), metadata={"help": "only these scenarios (empty = all)"})
    dataset: dict[str, Any] = field(default_factory=dict, metadata={"help": "dataset stage settings"})
    train: dict[str, Any] = field(default_factory=dict, metadata={"help": "train stage settings"})
    sample: dict[str, Any] = field(default_factory=dict, metadata={"help": "sample stage settings"})
    judge: dict[str, Any] = field(default_factory=dict, metadata={"help": "judge stage settings"})
    humaneval: HumanEvalEntry = field(default_factory=HumanEvalEntry, metadata={"help": "HumanEval-X"})
    allow_exec: bool | str = field(
        default=False, metadata={"help": "execute generated code (sandboxed; 'unsafe': without bubblewrap)"}
    )
    notes: tuple[str, ...] = field(default=(), metadata={"help": "lines printed under the report title"})
    overlap_cpu_steps: bool = field(
        default=True,
        metadata={"help": "judge (and run HumanEval programs) on a background thread while the next cells "
                  "train and sample; false: one step at a time"},
    )
    recipes: tuple[RecipeEntry, ...] = field(
        default=(), metadata={"help": "named tuning recipes, usable in methods (as in configs/secure-tuning.yaml)"}
    )

    def __post_init__(self) -> None:
        if isinstance(self.allow_exec, str) and self.allow_exec != "unsafe":
            raise ValueError(f"allow_exec must be true, false or 'unsafe', got {self.allow_exec!r}")
        if not self.models:
            raise ValueError("models must list at least one model")
        names = [m.name for m in self.models]
        if len(set(names)) != len(names):
            raise ValueError(f"model names must be unique, got {names}")
        for lang in self.languages:
            if lang not in LANGUAGES:
                raise ValueError(f"languages: {lang!r} is not one of {list(LANGUAGES)}")
        for size in self.dataset_sizes:
            check_dataset_size(size, "dataset_sizes")
        recipe_names = [r.name for r in self.recipes]
        if len(set(recipe_names)) != len(recipe_names):
            raise ValueError(f"recipe names must be unique, got {recipe_names}")
        for entry in self.models:
            for m in self.methods_of(entry):
                recipe = self.recipe(m)
                if recipe is None or recipe.method != "base":
                    sources = (recipe.dataset if recipe else {}).get("sources") or self.dataset.get("sources")
                    if m != "base" and not sources:
                        raise ValueError(f"method {m}: dataset.sources is required when methods include fine-tuning")
        if not self.methods:
            raise ValueError("methods must not be empty")
        for m in self.models:
            for gran in m.granularities or ():
                if gran not in self.granularities:
                    raise ValueError(
                        f"model {m.name}: granularity {gran!r} is not in the experiment's granularities "
                        f"{list(self.granularities)}"
                    )

    def recipe(self, name: str) -> RecipeEntry | None:
        return next((r for r in self.recipes if r.name == name), None)

    def methods_of(self, model: ModelEntry) -> tuple[str, ...]:
        return model.methods if model.methods is not None else self.methods

    def granularities_of(self, model: ModelEntry) -> tuple[str, ...]:
        return model.granularities if model.granularities is not None else self.granularities

    def dataset_sizes_of(self, recipe: RecipeEntry | None) -> tuple[str, ...]:
        return recipe.dataset_sizes if recipe is not None and recipe.dataset_sizes else self.dataset_sizes


def check_dataset_size(size: str, where: str) -> None:
    if size != "all" and not str(size).isdigit():
        raise ValueError(f"{where}: {size!r} must be 'all' or a number of commits")


def _sizes_as_strings(data: dict[str, Any]) -> None:
    """YAML gives numbers for sizes; keep them as strings so 'all' and 100 share one type."""
    if isinstance(data.get("dataset_sizes"), list):
        data["dataset_sizes"] = [str(s) for s in data["dataset_sizes"]]


def load_experiment(path: str, overrides: list[str] | tuple[str, ...] = ()) -> Experiment:
    from seccodegen.config import build_config, deep_merge, parse_overrides

    data = load_yaml(path)
    if overrides:
        data = deep_merge(data, parse_overrides(overrides))
    _sizes_as_strings(data)
    for recipe in data.get("recipes") or ():
        if isinstance(recipe, dict):
            _sizes_as_strings(recipe)
    return build_config(Experiment, data, source=str(path))
