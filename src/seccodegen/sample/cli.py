"""CLI of the sample stage: ``seccodegen sample --model M --out DIR``; a flag per SampleConfig field."""

from __future__ import annotations

import typer

from seccodegen.cli_common import FORCE_OPTION
from seccodegen.config_flags import LoadConfig, StageOptions, flag, stage_command
from seccodegen.sample.config import SampleConfig

OPTIONS = StageOptions(
    "sample", SampleConfig, "seccodegen sample", set_example="temperature=0.2",
    flags={"model": flag("-m"), "out": flag("-o"), "prompt_styles": flag("--styles"), "scenario_ids": flag("--ids")},
)  # fmt: skip


def register(app: typer.Typer) -> None:
    @stage_command(app, "sample", OPTIONS)
    def sample(load: LoadConfig, force: bool = FORCE_OPTION) -> None:
        """Draw N completions per security scenario and prompt style (samples.jsonl)."""
        from seccodegen.sample.stage import run

        path = run(load(), force=force)
        typer.echo(f"samples: {path / 'samples.jsonl'}")
