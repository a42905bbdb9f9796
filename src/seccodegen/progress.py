"""One progress-bar style for every long loop: counts, rate and ETA (rich)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

T = TypeVar("T")


def progress_enabled() -> bool:
    """Bars are shown on a terminal; SECCODEGEN_PROGRESS=0 turns them off, =1 forces them on."""
    env = os.environ.get("SECCODEGEN_PROGRESS")
    if env is not None:
        return env not in ("0", "false", "no")
    return sys.stderr.isatty()


def make_progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        disable=not progress_enabled(),
        transient=False,
    )


@contextmanager
def progress_bar(description: str, total: int | None):
    """``with progress_bar("judge", n) as advance: advance(1, info="...")``."""
    with make_progress() as prog:
        task = prog.add_task(description, total=total, info="")

        def advance(n: int = 1, info: str | None = None) -> None:
            if info is None:
                prog.advance(task, n)
            else:
                prog.update(task, advance=n, info=info)

        yield advance


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with progress_bar(description, total) as advance:
        for item in items:
            yield item
            advance(1)
