"""CLI for the judge stage: ``seccodegen judge SAMPLES.jsonl --out DIR``. No logic here."""

from __future__ import annotations

from pathlib import Path

import typer

from seccodegen.cli_common import CONFIG_OPTION, FORCE_OPTION, SET_OPTION


def register(app: typer.Typer) -> None:
    @app.command("judge")
    def judge(
        samples: Path = typer.Argument(
            ..., help="JSONL: sample records, or external {id, language, cwe, code}."
        ),
        out: Path = typer.Option(..., "--out", "-o", help="Output directory (results.jsonl, results.sarif)."),
        allow_exec: bool = typer.Option(
            False,
            "--allow-exec",
            help="Run scenario unit tests and security tests (C/C++ under ASan/UBSan) on valid samples "
            "(executes model output, sandboxed).",
        ),
        scenarios: Path = typer.Option(
            None, "--scenarios", help="Scenario suite dir (default: built-in suite)."
        ),
        analyzers: str = typer.Option(
            None, "--analyzers", help="Comma-separated analyzer names (default: all)."
        ),
        jobs: int = typer.Option(None, "--jobs", "-j", help="Parallel tool processes (default: all cores)."),
        cache_dir: Path = typer.Option(
            None, "--cache-dir", help="Result cache dir (default ~/.cache/seccodegen/judge)."
        ),
        no_cache: bool = typer.Option(False, "--no-cache", help="Ignore cached results (still writes them)."),
        config: Path = CONFIG_OPTION,
        overrides: list[str] = SET_OPTION,
        force: bool = FORCE_OPTION,
    ) -> None:
        """Judge samples: valid (compiles), secure (no target-CWE finding, not exploited), correct (tests pass)."""
        from seccodegen.config import load_config
        from seccodegen.judge.config import JudgeConfig
        from seccodegen.judge.stage import run

        base = {
            "samples": str(samples),
            "out": str(out),
            "allow_exec": allow_exec or None,
            "scenarios": str(scenarios) if scenarios else None,
            "analyzers": [a.strip() for a in analyzers.split(",") if a.strip()] if analyzers else None,
            "jobs": jobs,
            "cache_dir": str(cache_dir) if cache_dir else None,
            "use_cache": False if no_cache else None,
        }
        cfg = load_config(JudgeConfig, config, overrides, base=base)
        path = run(cfg, force=force)
        typer.echo(f"wrote {path}")
