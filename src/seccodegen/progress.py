"""One progress style for every long loop: counts, rate and ETA.

On a terminal: a rich bar. Elsewhere (CI, logs, nohup): one plain line every
``SECCODEGEN_PROGRESS_INTERVAL`` seconds (default 30) on stderr, e.g.
``sample: 120/600 samples (20%), 1.9 samples/s, eta 4m13s``. ``SECCODEGEN_PROGRESS=0`` turns
both off, ``=1`` forces the bar. Third-party bars (Hugging Face, tqdm) are switched off by
:func:`quiet_third_party_bars`, so one display describes a run.
"""

from __future__ import annotations

import os
import sys
import threading
import time
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
LINE_INTERVAL_S = 30.0


def progress_mode() -> str:
    """``bar`` (a terminal, or SECCODEGEN_PROGRESS=1), ``lines`` (not a terminal) or ``off`` (=0).
    Off the main thread (a step the experiment runner overlaps with the GPU's) a bar is lines: the
    main thread's bars own the terminal's live display."""
    env = os.environ.get("SECCODEGEN_PROGRESS")
    if env is not None and env.strip():
        mode = "off" if env in ("0", "false", "no") else "bar"
    else:
        mode = "bar" if sys.stderr.isatty() else "lines"
    return "lines" if mode == "bar" and threading.current_thread() is not threading.main_thread() else mode


def progress_enabled() -> bool:
    """Whether the rich bar is shown (see :func:`progress_mode`)."""
    return progress_mode() == "bar"


def quiet_third_party_bars() -> None:
    """Hugging Face and tqdm bars off (unless the user set these variables)."""
    for key in ("HF_HUB_DISABLE_PROGRESS_BARS", "TQDM_DISABLE"):
        os.environ.setdefault(key, "1")


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


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class ProgressLines:
    """Plain progress lines at most every ``interval`` seconds; the rate counts only this run's work
    (items already done when it started, e.g. on resume, are in the count but not in the rate)."""

    def __init__(self, description: str, total: int | None, unit: str, done: int = 0) -> None:
        env = os.environ.get("SECCODEGEN_PROGRESS_INTERVAL")
        self.description, self.total, self.unit = description, total, unit
        self.interval = float(env) if env else LINE_INTERVAL_S
        self.done = self.start_done = done
        self.start = self.last = time.monotonic()

    def line(self, info: str = "") -> str:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = (self.done - self.start_done) / elapsed
        count = f"{self.done}/{self.total}" if self.total else str(self.done)
        parts = [f"{self.description}: {count} {self.unit}".rstrip()]
        if self.total:
            parts[0] += f" ({100 * self.done / self.total:.0f}%)"
        parts.append(f"{rate:.3g} {self.unit or 'items'}/s")
        if self.total and rate > 0:
            parts.append(f"eta {_duration((self.total - self.done) / rate)}")
        return ", ".join(parts) + (f" [{info}]" if info else "")

    def advance(self, n: int, info: str | None) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            print(self.line(info or ""), file=sys.stderr, flush=True)


@contextmanager
def progress_bar(description: str, total: int | None, unit: str = "", done: int = 0):
    """``with progress_bar("judge", n, unit="programs") as advance: advance(1, info="...")``.
    ``unit`` names what is counted; ``done``: items finished before this run (a resume)."""
    mode = progress_mode()
    if mode == "lines":
        lines = ProgressLines(description, total, unit, done)

        def advance_line(n: int = 1, info: str | None = None) -> None:
            lines.advance(n, info)

        yield advance_line
        return
    label = f"{description} ({unit})" if unit else description
    with make_progress() as prog:
        task = prog.add_task(label, total=total, completed=done, info="")

        def advance(n: int = 1, info: str | None = None) -> None:
            if info is None:
                prog.advance(task, n)
            else:
                prog.update(task, advance=n, info=info)

        yield advance


def resume_message(stage: str, done: int, total: int, unit: str) -> None:
    """The one line a resumed stage prints first: ``sample: resuming: 120 of 600 samples done``."""
    if done:
        print(f"{stage}: resuming: {done} of {total} {unit} done", file=sys.stderr, flush=True)


def track(items: Iterable[T], description: str, total: int | None = None, unit: str = "") -> Iterator[T]:
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with progress_bar(description, total, unit) as advance:
        for item in items:
            yield item
            advance(1)
