"""Ctrl-C and SIGTERM for every stage: stop within 2 s, end child processes, keep finished work.

:func:`install` (called by the ``seccodegen`` entry point) turns SIGINT and SIGTERM into one
path: the process's descendants (compilers, analyzers, sandboxed programs, each often in its own
process group) are killed at once, ``KeyboardInterrupt`` unwinds the stage (its ``finally``
blocks close and sync the record files, so finished work stays on disk), and one line says how
to resume. Thread pools would otherwise keep starting queued tools after the signal, and
interpreter exit would wait for their workers, so a watchdog ends the process
``GRACE_S`` seconds after the signal whatever is still running.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

GRACE_S = 1.5  # seconds between the signal and the forced exit (the bound is 2 s)
EXIT_CODE = 130  # 128 + SIGINT, as shells report an interrupted command
RESUME_LINE = "interrupted: finished work is kept; rerun the same command to resume"

_printed = threading.Event()
_print_lock = threading.Lock()
_finish_lock = threading.Lock()
_stopping = threading.Event()


def descendants(root: int | None = None) -> list[int]:
    """pids of every process below ``root`` (default: this one), from /proc; [] where there is none."""
    root = os.getpid() if root is None else root
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_descendants() -> int:
    """SIGKILL every descendant, and the process group of each that leads its own; returns how many."""
    own_group = os.getpgid(0)
    pids = descendants()
    for pid in pids:
        try:
            group = os.getpgid(pid)
            if group != own_group and group == pid:
                os.killpg(group, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue
    return len(pids)


def print_resume_line() -> None:
    """The one line; written to fd 2 directly (no lock that another thread might hold)."""
    with _print_lock:
        if not _printed.is_set():
            _printed.set()
            os.write(2, (RESUME_LINE + "\n").encode())


def _watchdog(deadline: float) -> None:
    """Ends the process at ``deadline`` if unwinding has not (threads still inside tools), killing
    the tools a worker thread starts meanwhile."""
    while time.monotonic() < deadline - 0.1:
        kill_descendants()
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic() - 0.1)))
    finish()


def finish() -> None:
    """Kill what is left, print the resume line and exit now (no waiting for pool threads). The
    first caller (the main thread or the watchdog) exits; a second one waits for that."""
    _finish_lock.acquire()  # never released: the process ends below
    kill_descendants()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, RuntimeError):
            pass
    print_resume_line()
    os._exit(EXIT_CODE)


def _on_signal(signum: int, frame: object) -> None:
    if _stopping.is_set():  # a second Ctrl-C: stop now
        finish()
    _stopping.set()
    deadline = time.monotonic() + GRACE_S
    kill_descendants()
    threading.Thread(target=_watchdog, args=(deadline,), name="seccodegen-interrupt", daemon=True).start()
    raise KeyboardInterrupt


def stopping() -> bool:
    """True once a stop signal arrived (long loops may check it between items)."""
    return _stopping.is_set()


@contextmanager
def stoppable_pool(jobs: int | None) -> Iterator[ThreadPoolExecutor]:
    """A thread pool that, when the block ends with an exception (Ctrl-C), drops its queued tasks
    and does not wait for running ones: ``with ThreadPoolExecutor`` would run every queued tool."""
    pool = ThreadPoolExecutor(jobs)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def install() -> None:
    """SIGINT and SIGTERM stop the stage as described above (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _on_signal)
