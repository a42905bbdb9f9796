"""Options shared by stage CLIs: --set, --force and --allow-exec. Config fields become flags in config_flags.py."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.core import TyperCommand

from seccodegen.errors import ConfigError

FORCE_OPTION = typer.Option(False, "--force", metavar="", help="Overwrite a finished artifact directory.")
EXEC_HELP = ("--allow-exec: consent to execute generated code in the bubblewrap sandbox; "
             "--allow-exec=unsafe: also where bubblewrap cannot run (rlimits only, see docs/judge.md)")  # fmt: skip


def set_option(example: str, panel: str | None = None) -> typer.models.OptionInfo:
    """``--set KEY=VALUE`` (repeatable), with an example that belongs to the command."""
    return typer.Option(
        [], "--set", "-s", metavar="KEY=VALUE", rich_help_panel=panel,
        help=f"Set a config field, e.g. --set {example} (repeatable; value as YAML; wins over every other source).",
    )  # fmt: skip


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


def echo_report(report: Path) -> None:
    """Print where report.html is, then its headline numbers (report/summary.py)."""
    from seccodegen.report.summary import summary_lines

    typer.echo(f"report: {report}")
    lines = summary_lines(report)
    if lines:
        typer.echo("")
        typer.echo("\n".join(lines))
