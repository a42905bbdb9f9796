"""Expand an experiment into content-addressed steps (dataset -> train -> sample -> judge).

Each step's directory is ``OUT/<stage>/<label>-<hash>``, where the hash covers the stage's
resolved settings and the hashes of the steps it depends on. A step whose directory holds a
finished manifest is cached; extending the grid or rerunning after a crash only does new work.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from seccodegen.errors import SeccodegenError
from seccodegen.runner import stages
from seccodegen.runner.experiment import Experiment, ModelEntry
from seccodegen.runner.stages import Step

STAGE_ORDER = ("dataset", "train", "sample", "judge", "humaneval")


@dataclass
class Cell:
    """One point of the grid: the judge step whose results carry these coordinates."""

    coords: dict[str, str]
    judge: Step
    humaneval: Step | None = None


@dataclass
class Plan:
    experiment: Experiment
    steps: list[Step]
    cells: list[Cell]
    models: dict[str, str]  # model name -> the --model value actually used
    notes: list[str]

    def units(self) -> list[list[Step]]:
        """The grid's independent pieces of work, in order: the dataset steps; then per model its
        pretrained cells; then each training step with everything that uses its output."""
        units: dict[str, list[Step]] = {"dataset": []}  # first: in shard 0, which builds it

        def unit_of(step: Step) -> str:
            if step.stage == "dataset":
                return "dataset"
            if step.stage == "train":
                return f"train:{step.key}"
            return unit_of(step.deps[0]) if step.deps else f"base:{step.settings.get('model')}"

        for step in self.ordered():
            units.setdefault(unit_of(step), []).append(step)
        return [unit for unit in units.values() if unit]

    def shard(self, index: int, count: int) -> set[int]:
        """ids of the steps in shard ``index`` of ``count``: units dealt round-robin (datasets: 0)."""
        return {id(step) for k, unit in enumerate(self.units()) if k % count == index for step in unit}

    def narrowed(self, patterns: tuple[str, ...]) -> Plan:
        """The plan with only the cells whose label (``cell_label``) matches one of the shell-style
        ``patterns``, and only the steps those cells need (e.g. three cells of a grid that a
        cut-off run left undone, without redoing their finished neighbours elsewhere)."""
        if not patterns:
            return self
        cells = [c for c in self.cells if any(fnmatch.fnmatchcase(cell_label(c.coords), p) for p in patterns)]
        if not cells:
            known = ", ".join(cell_label(c.coords) for c in self.cells[:6])
            raise SeccodegenError(f"--cells {','.join(patterns)}: matches no cell; labels look like {known}, ...")
        needed: set[int] = set()

        def need(step: Step) -> None:
            if id(step) not in needed:
                needed.add(id(step))
                for dep in step.deps:
                    need(dep)

        for cell in cells:
            need(cell.judge)
            if cell.humaneval is not None:
                need(cell.humaneval)
        return replace(self, steps=[s for s in self.steps if id(s) in needed], cells=cells)

    def ordered(self) -> list[Step]:
        """Cell by cell (the grid's order: pretrained cells first), each step after its dependencies
        and a cell's HumanEval step right after its judge step. A run stopped half-way has whole
        cells done, not every model trained and nothing sampled."""
        order: list[Step] = []
        seen: set[int] = set()

        def visit(step: Step) -> None:
            if id(step) in seen:
                return
            for dep in step.deps:
                visit(dep)
            seen.add(id(step))
            order.append(step)

        for cell in self.cells:
            visit(cell.judge)
            if cell.humaneval is not None:
                visit(cell.humaneval)
        for step in sorted(self.steps, key=lambda s: STAGE_ORDER.index(s.stage)):
            visit(step)  # steps of no cell (none today), for completeness
        return order


def cell_label(coords: dict[str, str]) -> str:
    """``model/method/granularity/dataset_size/prompt_style`` ("-" where a pretrained cell has none),
    the name ``--cells`` patterns match and the report's "not run" lines use."""
    keys = ("model", "method", "granularity", "dataset_size", "prompt_style")
    return "/".join(coords[k] for k in keys)


def choose_model(entry: ModelEntry, notes: list[str]) -> str:
    """The entry's model if it is available here, else its fallback (with a note saying so)."""
    if stages.model_available(entry.model):
        return entry.model
    if entry.fallback:
        notes.append(f"model {entry.name}: {entry.model} is not available here; used {entry.fallback} instead")
        return entry.fallback
    return entry.model  # the train/sample stage reports the one-line load error


def build_plan(exp: Experiment) -> Plan:
    root = Path(exp.out)
    steps: list[Step] = []
    cells: list[Cell] = []
    notes: list[str] = list(exp.notes)

    def add(step: Step) -> Step:
        step.root = root
        for existing in steps:
            if existing.stage == step.stage and existing.key == step.key:
                return existing
        steps.append(step)
        return step

    models = {m.name: choose_model(m, notes) for m in exp.models}
    for entry in exp.models:
        spec = models[entry.name]
        # (coordinates, train step or None, prompt styles, the recipe's sample settings)
        variants: list[tuple[dict[str, str], Step | None, tuple[str, ...], dict[str, Any]]] = []
        for method in exp.methods_of(entry):
            recipe = exp.recipe(method)
            tuning = recipe.method if recipe else method
            if tuning == "base":
                coords = {"method": method, "granularity": "-", "dataset_size": "-"}
                variants.append((coords, None, exp.prompt_styles, recipe.sample if recipe else {}))
                continue
            grans = (recipe.granularities if recipe and recipe.granularities else None) or exp.granularities_of(entry)
            for gran in grans:
                for size in exp.dataset_sizes_of(recipe):
                    data_settings = stages.dataset_settings(exp, size, recipe.dataset if recipe else None)
                    data_label = f"data-{method}-{size}" if recipe and recipe.dataset else f"data-{size}"
                    dataset = add(Step("dataset", data_label, data_settings))
                    settings = stages.train_settings(exp, spec, tuning, gran, size, recipe.train if recipe else None)
                    train = add(Step("train", f"{entry.name}-{method}-{gran}-{size}", settings, [dataset]))
                    coords = {"method": method, "granularity": gran, "dataset_size": size}
                    variants.append((coords, train, exp.tuned_prompt_styles, recipe.sample if recipe else {}))
        for coords, train, styles, sample_overrides in variants:
            prefix = [entry.name, coords["method"]] + ([coords["granularity"], coords["dataset_size"]] if train else [])
            he_step = None
            if exp.humaneval.enabled:
                he_settings = stages.humaneval_settings(exp, spec)
                he_step = add(Step("humaneval", "-".join(prefix), he_settings, [train] if train else []))
            for style in styles:
                for suite in exp.suites:
                    s_settings = {**stages.sample_settings(exp, spec, style, suite), **sample_overrides}
                    label = "-".join(prefix + [style])
                    sample = add(Step("sample", label, s_settings, [train] if train else []))
                    judge = add(Step("judge", label, stages.judge_settings(exp, suite), [sample]))
                    cell_coords = {"model": entry.name, **coords, "prompt_style": style, "suite": suite}
                    judge.coords = cell_coords
                    cells.append(Cell(cell_coords, judge, he_step))
    return Plan(exp, steps, cells, models, notes)


def describe(plan: Plan) -> list[tuple[str, str, str, str]]:
    """Rows (stage, label, state, path) for --dry-run."""
    return [(s.stage, s.label, "cached" if s.cached else "new", str(s.path)) for s in plan.ordered()]
