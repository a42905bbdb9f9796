"""Check a whole plan before any step runs: every step's config (unknown keys and wrong values,
named by the experiment file and the key path), every input path and every model. A typo in
``train:`` must not surface after an hour of sampling, when the first training step starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seccodegen.errors import ConfigError, SeccodegenError
from seccodegen.runner.plan import Plan
from seccodegen.runner.stages import STAGE_CONFIGS, model_available

# stages whose steps load a model
MODEL_STAGES = ("train", "sample", "humaneval")


def _missing(path: str | None) -> bool:
    return bool(path) and not Path(str(path)).expanduser().exists()


def input_problems(stage: str, cfg: Any) -> list[str]:
    """Inputs a stage's config names that do not exist (paths made by earlier steps are not checked)."""
    checks: list[tuple[str, str | None]] = []
    if stage == "dataset":
        checks += [(f"dataset.sources[{i}].path", src.path) for i, src in enumerate(cfg.sources)]
        checks += [(f"dataset.links[{i}]", link) for i, link in enumerate(cfg.links)]
        checks.append(("dataset.exclude_overlap_with", cfg.exclude_overlap_with))
    elif stage == "train":
        checks += [("train.mix_data", cfg.mix_data), ("train.val_data", cfg.val_data)]
    elif stage in ("sample", "judge"):
        checks.append(("suites", cfg.scenarios))
    elif stage == "humaneval":
        checks.append(("humaneval.data", cfg.data))
    return [f"{key}: {path} does not exist" for key, path in checks if _missing(path)]


def model_problem(name: str, spec: str) -> str | None:
    if model_available(spec):
        return None
    if spec.startswith("builtin:"):
        return f"model {name}: {spec} is not installed here (run `make setup`, or add fallback: builtin:tiny-random)"
    return f"model {name}: {spec} does not exist (give a Hugging Face folder, a .gguf file, a hub id or builtin:...)"


def plan_problems(plan: Plan, source: str, stages: tuple[str, ...] = ()) -> list[str]:
    """Every problem found in the steps of ``stages`` (all when empty), each once, in plan order.
    Configs are checked for every step; inputs and models only where a step still has to run."""
    problems: list[str] = []
    steps = [s for s in plan.ordered() if not stages or s.stage in stages]
    for step in steps:
        try:
            cfg = STAGE_CONFIGS.get(step.stage)(step, source)
        except SeccodegenError as exc:
            text = str(exc)
            problems.append(text if text.startswith(source) else f"{source}: {step.stage}: {text}")
            continue
        if not step.cached:
            problems += [f"{source}: {p}" for p in input_problems(step.stage, cfg)]
    used = {s.settings.get("model") for s in steps if s.stage in MODEL_STAGES and not s.cached}
    for name, spec in plan.models.items():
        if spec in used and (problem := model_problem(name, spec)):
            problems.append(f"{source}: {problem}")
    return list(dict.fromkeys(problems))


def check_plan(plan: Plan, source: str, stages: tuple[str, ...] = ()) -> None:
    """Raise one ConfigError naming the first problem (and how many more there are)."""
    problems = plan_problems(plan, source, stages)
    if problems:
        more = f" (and {len(problems) - 1} more: fix this one and rerun --dry-run)" if len(problems) > 1 else ""
        raise ConfigError(problems[0] + more)
