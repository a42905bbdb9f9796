"""The ``seccodegen`` command. Holds no logic: each stage's ``cli.py`` registers its commands.

Stage CLI modules must import heavy libraries (torch, transformers) inside their command
functions, so that ``seccodegen --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys

import typer

from seccodegen import __version__, interrupt
from seccodegen.artifacts import UpToDate
from seccodegen.errors import SeccodegenError

# Order is the order shown in --help. Each module defines ``register(app: typer.Typer)``.
STAGE_CLIS = [
    "seccodegen.dataset.cli",
    "seccodegen.train.cli",
    "seccodegen.sample.cli",
    "seccodegen.judge.cli",
    "seccodegen.report.cli",
    "seccodegen.runner.cli",
    "seccodegen.demo.cli",
    "seccodegen.scenarios.cli",
    "seccodegen.humaneval.cli",
    "seccodegen.review.cli",
    "seccodegen.config_reference",  # last: `config show` lists the stages registered above
]

app = typer.Typer(
    name="seccodegen",
    help="Measure and improve how securely code LLMs write code: dataset -> train -> sample -> judge -> report.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"seccodegen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """seccodegen: reproduce and extend 'An Exploratory Study on Fine-Tuning LLMs for Secure Code Generation'."""


for _module in STAGE_CLIS:
    importlib.import_module(_module).register(app)


def main() -> None:
    from seccodegen.progress import quiet_third_party_bars

    quiet_third_party_bars()  # one progress display per run: ours
    interrupt.install()
    try:
        app()
    except UpToDate as exc:  # like make: a rerun of finished work is not an error
        print(f"nothing to do: {exc}", file=sys.stderr)
        sys.exit(0)
    except SeccodegenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        interrupt.finish()  # finished work is on disk; worker threads are not waited for
    except SystemExit:
        if interrupt.stopping():  # typer turns Ctrl-C into exit code 130: same ending
            interrupt.finish()
        raise


if __name__ == "__main__":
    main()
