"""Run a plan's steps in order, overlapping CPU-bound work with the GPU's.

Run one step at a time, a grid leaves the GPU idle while a cell is judged (compilers, analyzers
and sandboxed tests on every core) and the cores idle while the GPU trains or samples. With
overlap, the main thread runs the steps in plan order but hands each judge step, and the
execution half of each HumanEval step (its completions are generated on the main thread), to
:class:`CpuWorker`: one background thread that runs what it is handed in the order received.
So the judge of cell k runs while the GPU samples cell k+1.

Order is kept: a part is handed over only after the main-thread steps before it have ended,
the worker runs one part at a time, and a main-thread step whose input a background part makes
waits for it. After a failure nothing new starts, as in a sequential run; the first failure in
plan order is raised once the parts handed over before it have ended (their results are kept).
A Ctrl-C stops the main thread at once and drops the worker's queue; the part in flight is
abandoned (``seccodegen.interrupt`` kills its tools and exits), its manifest stays ``running``,
and a rerun resumes it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import Console

from seccodegen import interrupt
from seccodegen.errors import SeccodegenError

if TYPE_CHECKING:
    from seccodegen.runner.stages import Step

CPU_STAGES = frozenset({"judge"})  # run wholly on the background thread
MODEL_STAGES = frozenset({"train", "sample", "humaneval"})  # load a model: the GPU's work

Part = Callable[[], Any]
StageRunner = Callable[..., Any]  # (step, force=...) -> anything


class StepFailedError(SeccodegenError):
    """A step failed; finished steps stay cached, so a rerun resumes at this step."""


def humaneval_halves(step: Step, force: bool) -> Part:
    """Generate a HumanEval step's completions now (the model); return their execution (the cores)."""
    from seccodegen.humaneval.core import prepare
    from seccodegen.runner.stages import humaneval_config

    return prepare(humaneval_config(step), force=force).execute


# stages whose first half runs on the main thread and returns the second, for the background
SPLITS: dict[str, Callable[[Step, bool], Part]] = {"humaneval": humaneval_halves}


def should_overlap(enabled: bool, steps: list[Step]) -> bool:
    """Overlap when the experiment allows it and there is both model work and CPU work to do."""
    stages = {s.stage for s in steps}
    return enabled and bool(stages & MODEL_STAGES) and bool(stages & (CPU_STAGES | set(SPLITS)))


@contextmanager
def failure_named(step: Step) -> Iterator[None]:
    """A stage's one-line error, prefixed with the step that failed."""
    try:
        yield
    except SeccodegenError as exc:
        raise StepFailedError(f"{step.stage} step {step.label} failed: {exc}") from None


@dataclass
class StepLog:
    """Start and finish lines, the grid's progress and seconds per stage, for both threads."""

    console: Console
    advance: Callable[..., None]
    total: int
    timings: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, index: int, step: Step) -> None:
        with self.lock:
            self.advance(0, info=f"{step.stage} {step.label}")
            self.console.print(f"[{index}/{self.total}] {step.stage}: {step.label} -> {step.path}")

    def finish(self, index: int, step: Step, seconds: float) -> None:
        with self.lock:
            self.timings[step.stage] = self.timings.get(step.stage, 0.0) + seconds
            self.advance(1, info=f"{step.stage} {step.label} done")
            self.console.print(f"[{index}/{self.total}] {step.stage}: {step.label} done in {seconds:.1f} s")


class CpuWorker:
    """One daemon thread that runs handed-over parts in order; after a failure it starts no more.
    Daemon: an interrupted run does not wait for the part in flight to end."""

    def __init__(self, log: StepLog) -> None:
        self.log = log
        self.handed: list[tuple[Step, Future[None]]] = []
        self._jobs: queue.SimpleQueue[tuple[Future[None], Part] | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="seccodegen-cpu-steps", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, part = job
            if self._stop.is_set() or interrupt.stopping():
                future.set_result(None)  # skipped: an earlier step failed, or the run stops
                continue
            try:
                part()
            except BaseException as exc:  # handed to the main thread, which raises it
                self._stop.set()
                future.set_exception(exc)
            else:
                future.set_result(None)

    def hand_over(self, index: int, step: Step, part: Part, spent: float | None = None) -> None:
        """Queue ``part`` of ``step``; ``spent``: seconds its main-thread half took (None: it has
        none, so its start line is printed when the worker starts it)."""

        def job() -> None:
            if spent is None:
                self.log.start(index, step)
            start = time.monotonic()
            with failure_named(step):
                part()
            self.log.finish(index, step, (spent or 0.0) + time.monotonic() - start)

        future: Future[None] = Future()
        self.handed.append((step, future))
        self._jobs.put((future, job))

    def failure(self) -> BaseException | None:
        """The first failure among the parts that have ended (at most one: none start after it)."""
        return next((f.exception() for _, f in self.handed if f.done() and f.exception()), None)

    def wait_for(self, steps: list[Step]) -> None:
        """Wait until the parts of ``steps`` handed over have ended; raise a failure of theirs."""
        for step, future in self.handed:
            if any(step is s for s in steps):
                future.result()

    def drain(self) -> BaseException | None:
        """Wait for every part handed over, end the thread; the first failure, or None."""
        failures = [f.exception() for _, f in self.handed]  # waits for each in turn
        self._jobs.put(None)
        return next((exc for exc in failures if exc is not None), None)

    def abandon(self) -> None:
        """Start nothing more; the part in flight (on Ctrl-C) is not waited for."""
        self._stop.set()
        self._jobs.put(None)


def run_steps(
    todo: list[Step], runner_of: Callable[[str], StageRunner], force: bool, log: StepLog, overlap: bool
) -> None:
    """Run ``todo`` (in plan order, dependencies first) with ``runner_of(stage)``; with ``overlap``,
    the CPU parts on a :class:`CpuWorker`. Seconds per stage go to ``log.timings``."""
    worker = CpuWorker(log) if overlap else None
    try:
        for index, step in enumerate(todo, 1):
            if worker is not None:
                if (failed := worker.failure()) is not None:
                    raise failed
                worker.wait_for(step.deps)
                if step.stage in CPU_STAGES:
                    worker.hand_over(index, step, lambda s=step: runner_of(s.stage)(s, force=force))
                    continue
            log.start(index, step)
            start = time.monotonic()
            rest: Part | None = None
            with failure_named(step):
                if worker is not None and step.stage in SPLITS:
                    rest = SPLITS[step.stage](step, force)
                else:
                    runner_of(step.stage)(step, force=force)
            if worker is not None and rest is not None:
                worker.hand_over(index, step, rest, spent=time.monotonic() - start)
            else:
                log.finish(index, step, time.monotonic() - start)
        if worker is not None and (failed := worker.drain()) is not None:
            raise failed
    except Exception as exc:
        if worker is None:
            raise
        # the parts handed over come before this step in plan order: let them end, as a
        # sequential run would have, and report the first failure
        earlier = worker.drain()
        if earlier is None or earlier is exc:
            raise
        log.console.print(f"also failed: {exc}")
        raise earlier from None
    finally:
        if worker is not None:
            worker.abandon()  # Ctrl-C: nothing more starts (after a drain: the thread has ended)
