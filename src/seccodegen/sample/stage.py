"""``run(SampleConfig)``: N completions per (scenario, prompt style) into ``OUT/samples.jsonl``.

Work is cut into *units*: one (scenario, style) and a run of consecutive sample indices (at
most one batch). Sample ``k`` of (scenario, style) draws from the random stream
``(seed, scenario id, style)`` at position ``k`` (``prompt_seeds`` + ``sample_offsets`` of
:meth:`Engine.generate`), so with the ``hf`` backend it is the same sample whatever the batch
size, the other scenarios in the batch, or an interruption.

Resume: records are appended (fsynced) after each batch; a rerun of the same command reads
the ids already written and generates only units with missing samples, writing only the
missing ids. At the end the file is rewritten sorted by (scenario, style, index).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seccodegen.artifacts import open_artifact
from seccodegen.errors import InputError
from seccodegen.sample.config import SampleConfig
from seccodegen.sample.sampler import derive_seed

SCHEMA_VERSION = 1
SAMPLES_FILE = "samples.jsonl"
CPU_BATCH = 64  # sequences per batch when neither the config nor the engine says


@dataclass(frozen=True)
class _Unit:
    scenario: Any  # seccodegen.scenarios.model.Scenario
    style: str
    prompt: str
    first: int  # first sample index
    count: int

    def ids(self) -> list[str]:
        return [sample_id(self.scenario.id, self.style, self.first + j) for j in range(self.count)]


def sample_id(scenario_id: str, style: str, index: int) -> str:
    return f"{scenario_id}::{style}::{index}"


def model_identity(spec: str, adapter: str | None) -> dict[str, Any]:
    name = Path(spec).name if Path(spec).exists() else spec
    if adapter:
        name = f"{name}+{Path(adapter).name}"
    return {"spec": spec, "adapter": adapter, "name": name}


def select_scenarios(config: SampleConfig) -> list[Any]:
    from seccodegen.scenarios.model import load_suite

    scenarios = load_suite(config.scenarios, require_test_data=False)  # prompts are enough to sample
    if config.languages:
        scenarios = [s for s in scenarios if s.language in config.languages]
    if config.scenario_ids:
        known = {s.id for s in scenarios}
        missing = [i for i in config.scenario_ids if i not in known]
        if missing:
            raise InputError(f"scenario id {missing[0]!r} is not in the suite (after the language filter)")
        scenarios = [s for s in scenarios if s.id in config.scenario_ids]
    if not scenarios:
        raise InputError("no scenarios left to sample: check --scenarios and the language / id filters")
    return scenarios


def check_styles(styles: tuple[str, ...]) -> None:
    """Unknown style: a one-line error listing the known ones."""
    from seccodegen.scenarios.prompts import PROMPT_STYLES

    for style in styles:
        PROMPT_STYLES.get(style)


def _chat_mode(config: SampleConfig, tokenizer: Any) -> bool:
    if config.chat is not None:
        return config.chat
    return bool(tokenizer is not None and getattr(tokenizer, "chat_template", None))


def plan_units(config: SampleConfig, scenarios: list[Any], tokenizer: Any, chunk: int) -> list[_Unit]:
    from seccodegen.scenarios.prompts import render_prompt

    check_styles(config.prompt_styles)
    chat = _chat_mode(config, tokenizer)
    units = []
    for scenario in scenarios:
        for style in config.prompt_styles:
            prompt = render_prompt(scenario, style, tokenizer=tokenizer, chat=chat)
            for first in range(0, config.n, chunk):
                units.append(_Unit(scenario, style, prompt, first, min(chunk, config.n - first)))
    return units


def _batch_rows(config: SampleConfig, engine: Any) -> int:
    if config.batch_size:
        return config.batch_size
    rows_per_batch = getattr(engine, "rows_per_batch", None)
    return rows_per_batch(config.max_new_tokens) if rows_per_batch else CPU_BATCH


FLUSH_EVERY_S = 30.0  # samples.jsonl grows at least this often (seconds), so an interrupt loses little


def _timed_batches(units: list[_Unit], rows: int, target_s: float | None = None) -> Iterator[list[_Unit]]:
    """Like :func:`_batches`, but a batch holds no more rows than the engine generated in about
    ``target_s`` on the previous batch (the first batch is one unit, to measure), so records are
    written at least every ~``target_s``. Records do not depend on how units are batched (each
    unit has its own random streams), so this changes when they are written, not what they are."""
    target_s = FLUSH_EVERY_S if target_s is None else target_s
    s_per_row: float | None = None
    for count in sorted({u.count for u in units}, reverse=True):
        queue = [u for u in units if u.count == count]
        while queue:
            per = max(1, rows // count)
            if s_per_row is None:
                per = 1
            elif s_per_row > 0:
                per = max(1, min(per, int(target_s / (s_per_row * count))))
            batch, queue = queue[:per], queue[per:]
            start = time.monotonic()
            yield batch
            s_per_row = (time.monotonic() - start) / (len(batch) * count)


def make_record(config: SampleConfig, unit: _Unit, j: int, completion: Any, model: dict) -> dict[str, Any]:
    from seccodegen.scenarios.splice import cut_completion

    scenario = unit.scenario
    text, stopped = cut_completion(scenario, completion.text)
    return {
        "schema_version": SCHEMA_VERSION,
        "record": "sample",
        "id": sample_id(scenario.id, unit.style, unit.first + j),
        "scenario_id": scenario.id,
        "language": scenario.language,
        "cwe": scenario.cwe,
        "prompt_style": unit.style,
        "sample_index": unit.first + j,
        "seed": config.seed,
        "model": model,
        "prompt": unit.prompt,
        "completion": text,
        "code": scenario.assemble(text),
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "finish_reason": "stop" if stopped else completion.finish_reason,
    }


def run(
    config: SampleConfig,
    force: bool = False,
    engine: Any = None,
    on_batch: Callable[[int], None] | None = None,
) -> Path:
    """Sample; returns the artifact directory. ``engine``: a ready engine (tests, HumanEval);
    ``on_batch(k)`` is called after batch ``k`` is written (tests inject a kill there)."""
    from seccodegen.progress import progress_bar, resume_message
    from seccodegen.records import JsonlAppender, read_jsonl, write_jsonl
    from seccodegen.scenarios import BUILTIN_SUITE

    scenarios = select_scenarios(config)
    check_styles(config.prompt_styles)  # before any directory is made or model loaded
    inputs: dict[str, str | Path] = {"scenarios": config.scenarios or BUILTIN_SUITE}
    if config.adapter:
        inputs["adapter"] = config.adapter
    art = open_artifact(
        config.out, "sample", config, schema_version=SCHEMA_VERSION, inputs=inputs, force=force
    )
    path = art.file(SAMPLES_FILE)
    appender = JsonlAppender(path)  # cuts a torn last line left by a kill
    try:
        done = {rec["id"] for rec in read_jsonl(path)} if path.exists() else set()
        if engine is None:
            from seccodegen.sample.engine import make_engine

            engine = make_engine(
                config.model,
                config.adapter,
                config.backend,
                config.dtype,
                config.device,
                max_batch=config.batch_size,
                fused_kernels=config.fused_kernels,
                decode_attention=config.decode_attention,
                sampling_kernel=config.sampling_kernel,
            )
        rows = _batch_rows(config, engine)
        units = plan_units(config, scenarios, getattr(engine, "tokenizer", None), min(config.n, rows))
        todo = [u for u in units if not all(i in done for i in u.ids())]
        model = model_identity(config.model, config.adapter)
        total = sum(u.count for u in units)
        already = total - sum(u.count for u in todo)
        resume_message("sample", already, total, "samples")
        with progress_bar("sample", total, "samples", done=already) as advance:
            for k, batch in enumerate(_timed_batches(todo, rows)):
                completions = engine.generate(
                    [u.prompt for u in batch],
                    batch[0].count,
                    config.temperature,
                    config.top_p,
                    config.max_new_tokens,
                    config.seed,
                    prompt_seeds=[derive_seed(config.seed, u.scenario.id, u.style) for u in batch],
                    sample_offsets=[u.first for u in batch],
                    stop_check=lambda i, text, b=batch: _function_closed(b[i].scenario, text),
                )
                for unit, per_unit in zip(batch, completions):
                    for j, completion in enumerate(per_unit):
                        rec = make_record(config, unit, j, completion, model)
                        if rec["id"] not in done:
                            appender.write(rec)
                            done.add(rec["id"])
                appender.sync()
                advance(sum(u.count for u in batch), info=f"batch {k + 1}")
                if on_batch is not None:
                    on_batch(k)
    finally:
        appender.close()
    records = sorted(read_jsonl(path), key=lambda r: (r["scenario_id"], r["prompt_style"], r["sample_index"]))
    write_jsonl(path, records)
    reasons: dict[str, int] = {}
    for rec in records:
        reasons[rec["finish_reason"]] = reasons.get(rec["finish_reason"], 0) + 1
    # what the hf backend's decode step ran with (fused kernels, attention): texts depend on it
    decode = getattr(engine, "decode_kernels", None)
    out = {"records": len(records), "finish_reasons": reasons, **({"decode": decode} if decode else {})}
    art.finish(outputs={SAMPLES_FILE: out})
    return art.path


def _function_closed(scenario: Any, text: str) -> bool:
    from seccodegen.scenarios.splice import cut_completion

    return cut_completion(scenario, text)[1]
