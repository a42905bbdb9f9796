"""Options shared by stage CLIs (config file, dotted overrides, --force), and the stub for unbuilt stages."""

from __future__ import annotations

import typer
from typer.core import TyperCommand

from seccodegen.errors import ConfigError, NotImplementedStageError

CONFIG_OPTION = typer.Option(None, "--config", "-c", help="YAML config file for this stage.")
SET_OPTION = typer.Option(
    [], "--set", "-s", help="Dotted override, e.g. --set lora.r=16 (repeatable; wins over the file)."
)
FORCE_OPTION = typer.Option(False, "--force", help="Overwrite a finished artifact directory.")
EXEC_HELP = ("--allow-exec: consent to execute generated code in the bubblewrap sandbox; "
             "--allow-exec=unsafe: also where bubblewrap cannot run (rlimits only, see docs/judge.md)")  # fmt: skip


def allow_exec_option(what: str) -> typer.models.OptionInfo:
    """``--allow-exec`` (no value) or ``--allow-exec=unsafe``; commands using it need ``cls=ExecConsentCommand``."""
    return typer.Option(None, "--allow-exec", metavar="[=unsafe]", help=f"{what}. {EXEC_HELP}")


class ExecConsentCommand(TyperCommand):
    """Lets ``--allow-exec`` stand alone although it may carry ``=unsafe`` (typer has no optional values)."""

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        return super().parse_args(ctx, ["--allow-exec=yes" if a == "--allow-exec" else a for a in args])


def exec_consent(value: str | None) -> bool | str:
    """The ``allow_exec`` setting for ``--allow-exec`` (True), ``--allow-exec=unsafe`` or its absence (False)."""
    if value is None:
        return False
    if value in ("yes", "unsafe"):
        return True if value == "yes" else "unsafe"
    raise ConfigError(f"--allow-exec takes no value or '=unsafe', got {value!r}")


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
