"""Options shared by stage CLIs (config file, dotted overrides, --force), and the stub for unbuilt stages."""

from __future__ import annotations

import typer

from seccodegen.errors import NotImplementedStageError

CONFIG_OPTION = typer.Option(None, "--config", "-c", help="YAML config file for this stage.")
SET_OPTION = typer.Option(
    [], "--set", "-s", help="Dotted override, e.g. --set lora.r=16 (repeatable; wins over the file)."
)
FORCE_OPTION = typer.Option(False, "--force", help="Overwrite a finished artifact directory.")


def not_implemented(stage: str) -> None:
    raise NotImplementedStageError(f"the {stage!r} stage is not implemented yet")


def register_stub(app: typer.Typer, stage: str, help_text: str) -> None:
    """Register a command that fails clearly until the stage is built."""

    @app.command(
        stage,
        help=f"{help_text} (not implemented yet)",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )
    def _stub(ctx: typer.Context) -> None:
        not_implemented(stage)
