"""CLI of the sample stage: ``seccodegen sample --model M --out DIR``."""

from __future__ import annotations

from pathlib import Path

import typer

from seccodegen.cli_common import CONFIG_OPTION, FORCE_OPTION, SET_OPTION


def _split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def register(app: typer.Typer) -> None:
    @app.command("sample", help="Draw N completions per security scenario and prompt style (samples.jsonl).")
    def sample(
        model: str = typer.Option(
            None, "--model", "-m", help="HF folder, hub id, .gguf or builtin:tiny-random."
        ),
        adapter: str = typer.Option(None, "--adapter", help="peft adapter folder from `seccodegen train`."),
        backend: str = typer.Option(None, "--backend", help="hf (default) | hf-generate | vllm."),
        scenarios: str = typer.Option(
            None, "--scenarios", help="scenario suite directory or .jsonl file of prompts (default: built-in)."
        ),
        styles: str = typer.Option(
            None, "--styles", help="comma-separated prompt styles, e.g. baseline,generic."
        ),
        languages: str = typer.Option(
            None, "--languages", help="comma-separated languages to keep (c,cpp,...)."
        ),
        ids: str = typer.Option(None, "--ids", help="comma-separated scenario ids to keep."),
        n: int = typer.Option(None, "--n", help="samples per scenario and style (default 30)."),
        temperature: float = typer.Option(None, "--temperature", help="default 0.8."),
        top_p: float = typer.Option(None, "--top-p", help="default 0.9."),
        max_new_tokens: int = typer.Option(None, "--max-new-tokens", help="default 100."),
        seed: int = typer.Option(None, "--seed", help="run seed (default 0)."),
        batch_size: int = typer.Option(None, "--batch-size", help="sequences per batch (default: auto)."),
        chat: bool = typer.Option(
            None, "--chat/--no-chat", help="use the chat template (default: if it has one)."
        ),
        dtype: str = typer.Option(None, "--dtype", help="float32 | bfloat16 | float16."),
        device: str = typer.Option(None, "--device", help="cpu | cuda."),
        out: str = typer.Option(None, "--out", "-o", help="output directory."),
        config: Path = CONFIG_OPTION,
        overrides: list[str] = SET_OPTION,
        force: bool = FORCE_OPTION,
    ) -> None:
        from seccodegen.config import load_config
        from seccodegen.sample.config import SampleConfig
        from seccodegen.sample.stage import run

        base = {
            "model": model,
            "adapter": adapter,
            "backend": backend,
            "scenarios": scenarios,
            "prompt_styles": _split(styles),
            "languages": _split(languages),
            "scenario_ids": _split(ids),
            "n": n,
            "temperature": temperature,
            "top_p": top_p,
            "max_new_tokens": max_new_tokens,
            "seed": seed,
            "batch_size": batch_size,
            "chat": chat,
            "dtype": dtype,
            "device": device,
            "out": out,
        }
        cfg = load_config(SampleConfig, config, overrides, base=base)
        path = run(cfg, force=force)
        typer.echo(f"samples: {path / 'samples.jsonl'}")
