"""CLI for the judge stage: ``seccodegen judge SAMPLES.jsonl --out DIR``; a flag per JudgeConfig field."""

from __future__ import annotations

from pathlib import Path

import typer

from seccodegen.cli_common import FORCE_OPTION, ExecConsentCommand, allow_exec_option, exec_consent
from seccodegen.config_flags import LoadConfig, StageOptions, flag, stage_command
from seccodegen.judge.config import JudgeConfig

OPTIONS = StageOptions(
    "judge", JudgeConfig, "seccodegen judge SAMPLES", set_example="secure_rule=static",
    flags={"out": flag("-o", required=True), "jobs": flag("-j"), "use_cache": flag("--use-cache/--no-cache")},
    own={"samples": "SAMPLES", "allow_exec": "--allow-exec[=unsafe]"},
)  # fmt: skip


def register(app: typer.Typer) -> None:
    @stage_command(app, "judge", OPTIONS, cls=ExecConsentCommand)
    def judge(
        load: LoadConfig,
        samples: Path = typer.Argument(..., help="JSONL: sample records, or external {id, language, cwe, code}."),
        allow_exec: str = allow_exec_option("Run scenario unit tests and security tests (C/C++ under ASan/UBSan) on valid samples (executes model output)"),
        force: bool = FORCE_OPTION,
    ) -> None:
        """Judge samples: valid (compiles), secure (no target-CWE finding, not exploited), correct (tests pass)."""
        from seccodegen.judge.stage import run

        cfg = load(samples=str(samples), allow_exec=exec_consent(allow_exec) or None)
        typer.echo(f"wrote {run(cfg, force=force)}")
