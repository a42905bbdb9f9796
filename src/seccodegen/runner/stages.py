"""How the runner drives each stage: a :class:`Step` (one stage run, content-addressed), the settings
that go into its hash, and the call that runs it through the stage's own ``run(config)`` (one
registered function per stage).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccodegen.artifacts import is_finished
from seccodegen.config import build_config, deep_merge
from seccodegen.registry import Registry
from seccodegen.runner.experiment import Experiment


@dataclass
class Step:
    """One run of one stage: its settings, the steps whose outputs it reads, and its directory."""

    stage: str
    label: str
    settings: dict[str, Any]  # the stage's settings, without `out` and without dependency paths
    deps: list[Step] = field(default_factory=list)
    coords: dict[str, str] = field(default_factory=dict)
    root: Path = Path(".")

    @property
    def key(self) -> str:
        blob = json.dumps(
            {"stage": self.stage, "settings": self.settings, "deps": [d.key for d in self.deps]},
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    @property
    def path(self) -> Path:
        """``ROOT/<stage>/<label>-<hash>``. The label is only a name (it comes from the first
        method that needs the step, so it changes when a grid's methods are reordered or
        narrowed with ``--methods``): a finished directory with the same hash under another
        label is the same step and is used as it is, rather than run again."""
        key = self.key
        canonical = self.root / self.stage / f"{self.label}-{key}"
        if canonical.exists():
            return canonical
        same = sorted(p for p in canonical.parent.glob(f"*-{key}") if is_finished(p))
        return same[0] if same else canonical

    @property
    def cached(self) -> bool:
        return is_finished(self.path)


STAGE_RUNNERS: Registry = Registry("runner stage")
STAGE_CONFIGS: Registry = Registry("runner stage config")  # step -> the stage's config object


def model_available(spec: str) -> bool:
    from seccodegen.models.loader import BUILTIN_SMOLLM2, BUILTIN_TINY, smollm2_gguf_path

    if spec == BUILTIN_TINY:
        return True
    if spec == BUILTIN_SMOLLM2:
        return smollm2_gguf_path() is not None
    if spec.startswith((".", "/", "~")) or spec.endswith(".gguf"):
        return Path(spec).expanduser().exists()
    return True  # a hub id: the loader says whether it can be fetched


def _suite_path(suite: str) -> str | None:
    return None if suite == "builtin" else suite


# ---- settings (what goes into each step's content hash) -------------------------------------


ALL_GRANULARITIES = ["file", "function", "block", "line"]


def dataset_settings(exp: Experiment, size: str, recipe: dict[str, Any] | None = None) -> dict[str, Any]:
    """All four granularities are always built (seconds of work), and one dataset step per size,
    so extending the grid with a granularity or a size never invalidates finished training.
    Nested subsets stay nested across steps: the dataset stage orders commits by its seed alone.
    ``recipe``: a recipe's dataset settings, merged over the experiment's (e.g. its own sources)."""
    sizes = [] if size == "all" else [int(size)]
    return {**exp.dataset, **(recipe or {}), "granularities": ALL_GRANULARITIES, "sizes": sizes}


def train_settings(
    exp: Experiment, model: str, method: str, granularity: str, size: str, recipe: dict[str, Any] | None = None
) -> dict[str, Any]:
    settings = deep_merge(dict(exp.train), dict(recipe or {}))
    return {**settings, "model": model, "method": method, "granularity": granularity, "size": size}


def sample_settings(exp: Experiment, model: str, style: str, suite: str) -> dict[str, Any]:
    return {
        **exp.sample,
        "model": model,
        "prompt_styles": [style],
        "scenarios": _suite_path(suite),
        "languages": list(exp.languages),
        "scenario_ids": list(exp.scenario_ids),
    }


def judge_settings(exp: Experiment, suite: str) -> dict[str, Any]:
    return {**exp.judge, "scenarios": _suite_path(suite), "allow_exec": exp.allow_exec}


def humaneval_settings(exp: Experiment, model: str) -> dict[str, Any]:
    return {**exp.humaneval.settings, "model": model, "data": exp.humaneval.data, "allow_exec": exp.allow_exec}


# ---- execution ---------------------------------------------------------------------------------


def dataset_data_path(dataset_dir: Path, granularity: str, size: str) -> str:
    """The train file of one granularity (and nested size subset) inside a dataset artifact."""
    sub = Path(granularity) if size == "all" else Path(granularity) / f"size-{int(size)}"
    return str(dataset_dir / sub / "train.jsonl")


def _build(cls: type, step: Step, values: dict[str, Any], source: str) -> Any:
    """The stage's config from a step; errors name ``source`` (the experiment file) and the key
    under the experiment's section for that stage, e.g. ``train.max_stepz``."""
    data = {k: v for k, v in values.items() if v is not None}
    return build_config(cls, data, source=source, prefix=f"{step.stage}.")


@STAGE_CONFIGS.register("dataset")
def dataset_config(step: Step, source: str = "<experiment>") -> Any:
    from seccodegen.dataset.build import DatasetConfig

    return _build(DatasetConfig, step, {**step.settings, "out": str(step.path)}, source)


@STAGE_CONFIGS.register("train")
def train_config(step: Step, source: str = "<experiment>") -> Any:
    from seccodegen.train import TrainConfig

    settings = dict(step.settings)
    size = settings.pop("size")
    data = dataset_data_path(step.deps[0].path, settings.get("granularity", "block"), size)
    return _build(TrainConfig, step, {**settings, "data": data, "out": str(step.path)}, source)


def _model_and_adapter(step: Step) -> tuple[str, str | None]:
    """A tuned cell samples the train step's output: an adapter over the base, or a full checkpoint."""
    model = step.settings["model"]
    if not step.deps:
        return model, None
    trained = step.deps[0].path
    if (trained / "adapter_config.json").is_file():
        return model, str(trained)
    return str(trained), None


@STAGE_CONFIGS.register("sample")
def sample_config(step: Step, source: str = "<experiment>") -> Any:
    from seccodegen.sample import SampleConfig

    model, adapter = _model_and_adapter(step)
    values = {**step.settings, "model": model, "adapter": adapter, "out": str(step.path)}
    return _build(SampleConfig, step, values, source)


@STAGE_CONFIGS.register("judge")
def judge_config(step: Step, source: str = "<experiment>") -> Any:
    from seccodegen.judge import JudgeConfig

    samples = step.deps[0].path / "samples.jsonl"
    values = {**step.settings, "samples": str(samples), "out": str(step.path)}
    return _build(JudgeConfig, step, values, source)


@STAGE_CONFIGS.register("humaneval")
def humaneval_config(step: Step, source: str = "<experiment>") -> Any:
    from seccodegen.humaneval import HumanEvalConfig

    model, adapter = _model_and_adapter(step)
    values = {**step.settings, "model": model, "adapter": adapter, "out": str(step.path)}
    return _build(HumanEvalConfig, step, values, source)


@STAGE_RUNNERS.register("dataset")
def run_dataset(step: Step, force: bool) -> None:
    from seccodegen.dataset.build import run

    run(dataset_config(step), force=force)


@STAGE_RUNNERS.register("train")
def run_train(step: Step, force: bool) -> None:
    from seccodegen.train import run

    run(train_config(step), force=force)


@STAGE_RUNNERS.register("sample")
def run_sample(step: Step, force: bool) -> None:
    from seccodegen.sample import run

    run(sample_config(step), force=force)


@STAGE_RUNNERS.register("judge")
def run_judge(step: Step, force: bool) -> None:
    from seccodegen.judge import run

    run(judge_config(step), force=force)


@STAGE_RUNNERS.register("humaneval")
def run_humaneval(step: Step, force: bool) -> None:
    from seccodegen.humaneval import run

    run(humaneval_config(step), force=force)
