"""Start one job's process tree, read its output with bounded buffers, and kill the whole tree.

The parent never blocks on the job: stdout, stderr and the supervisor's status pipe are read
with ``selectors`` against one wall-clock deadline, each into a buffer of at most
``output_limit`` bytes (a job that prints more is stopped, so a 1 GiB stdout costs the judge
one buffer, not 1 GiB). On timeout, overflow or memory excess the tree is killed three ways:
SIGKILL to the process group of the outer process, to the outer process itself (bubblewrap's
``--die-with-parent`` then takes its PID namespace down, which kills every process in it), and
to every process in the job's cgroup where there is one. After a kill the pipes get a short
grace period and are then closed whatever holds them, so nothing can hang the judge.

Where no cgroup limits total memory, a watchdog sums the resident memory of the job's process
tree every :data:`WATCHDOG_PERIOD_S` seconds (longer where one scan of /proc is slow, so the
scans take at most a tenth of a core) and kills it above the limit. It polls, so the tree can
overshoot the limit by what it allocates between two scans (tens of MiB per core at 25 ms);
a cgroup has no such gap.
"""

from __future__ import annotations

import io
import os
import selectors
import shutil
import signal
import stat
import subprocess
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seccodegen.sandbox.cgroup import JobCgroup

# seconds between two RSS sums of a job's tree (fallback without cgroups); a core touches
# about 2-4 GiB/s of fresh pages, so 25 ms bounds the overshoot to ~100 MiB per core
WATCHDOG_PERIOD_S = 0.025
WATCHDOG_MAX_SHARE = 0.1  # the scans' share of one core at most: period >= 10x one scan's time
KILL_GRACE_S = 2.0  # seconds the pipes get after a kill before they are closed anyway
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Captured:
    returncode: int | None  # the outer process's exit status; None when it was killed by us
    stdout: bytes
    stderr: bytes
    status: bytes  # what arrived on the status pipe (b"" when there is none)
    status_complete: bool  # the status pipe was read to its end within the limit
    timed_out: bool
    output_exceeded: bool
    memory_exceeded: bool
    wall_seconds: float


def tree_rss_bytes(root_pid: int) -> int:
    """Resident memory of ``root_pid`` and all its descendants, in bytes (from /proc/*/stat)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)  # fields[1] is ppid
        rss[pid] = int(fields[21]) * _PAGE  # fields[21] is rss in pages
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, ()))
    return total


def _feed_stdin(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
    except (BrokenPipeError, OSError):
        pass
    finally:
        try:
            pipe.close()
        except OSError:
            pass


def run_captured(
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: str,
    stdin: bytes | None,
    wall_seconds: float,
    output_limit: int,
    status_limit: int,
    preexec_fn: Callable[[], None],
    cgroup: JobCgroup | None,
    rss_limit: int | None,
    status_pipe: tuple[int, int] | None = None,
) -> Captured:
    """Run ``argv`` (already wrapped in bwrap or not) and capture it as the module docstring says."""
    start = time.monotonic()
    pass_fds = (status_pipe[1],) if status_pipe else ()
    try:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=preexec_fn,
            start_new_session=True, pass_fds=pass_fds,
        )  # fmt: skip
    finally:
        if status_pipe:
            os.close(status_pipe[1])
    if stdin is not None:
        threading.Thread(target=_feed_stdin, args=(proc.stdin, stdin), daemon=True).start()
    buffers: dict[int, bytearray] = {}
    limits: dict[int, int] = {}
    sel = selectors.DefaultSelector()
    for pipe in (proc.stdout, proc.stderr):
        assert pipe is not None
        fd = pipe.fileno()
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
        buffers[fd], limits[fd] = bytearray(), output_limit
    status_fd = -1
    if status_pipe:
        status_fd = status_pipe[0]
        os.set_blocking(status_fd, False)
        sel.register(status_fd, selectors.EVENT_READ)
        buffers[status_fd], limits[status_fd] = bytearray(), status_limit
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()  # type: ignore[union-attr]

    timed_out = output_exceeded = memory_exceeded = status_overflow = killed = False
    deadline = start + wall_seconds
    next_watch = start + WATCHDOG_PERIOD_S
    watch_period = WATCHDOG_PERIOD_S

    def kill() -> None:
        nonlocal killed, deadline
        if killed:
            return
        killed = True
        deadline = time.monotonic() + KILL_GRACE_S
        for fn in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
            try:
                fn()
            except (ProcessLookupError, PermissionError, OSError):
                pass
        if cgroup is not None:
            cgroup.kill_all()

    while sel.get_map():
        now = time.monotonic()
        if now >= deadline:
            if killed:
                break  # something outside our reach holds a pipe: stop reading it
            timed_out = True
            kill()
            continue
        if rss_limit is not None and now >= next_watch and not killed:
            over = tree_rss_bytes(proc.pid) > rss_limit
            scan_s = time.monotonic() - now
            watch_period = max(WATCHDOG_PERIOD_S, scan_s / WATCHDOG_MAX_SHARE)
            next_watch = now + watch_period
            if over:
                memory_exceeded = True
                kill()
        wait = max(0.0, deadline - now)
        for key, _ in sel.select(timeout=min(watch_period, wait) if rss_limit is not None else wait):
            fd = key.fd
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                sel.unregister(fd)
                continue
            room = limits[fd] - len(buffers[fd])
            buffers[fd] += chunk[: max(0, room)]
            if len(chunk) > room:
                if fd == status_fd:
                    status_overflow = True
                    sel.unregister(fd)
                else:
                    output_exceeded = True
                    kill()
    status_complete = status_pipe is not None and not status_overflow and status_fd not in sel.get_map()
    sel.close()
    if status_pipe:
        os.close(status_fd)
    try:
        returncode: int | None = proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        timed_out = timed_out or not killed
        kill()
        returncode = proc.wait()
    for pipe in (proc.stdout, proc.stderr):
        pipe.close()  # type: ignore[union-attr]
    if cgroup is not None:
        memory_exceeded = memory_exceeded or cgroup.memory_exceeded()
        cgroup.kill_all()  # daemons of a job that exited normally, where no PID namespace took them down
    return Captured(
        returncode=None if timed_out else returncode,
        stdout=bytes(buffers[out_fd]),
        stderr=bytes(buffers[err_fd]),
        status=bytes(buffers[status_fd]) if status_pipe else b"",
        status_complete=status_complete,
        timed_out=timed_out,
        output_exceeded=output_exceeded,
        memory_exceeded=memory_exceeded,
        wall_seconds=time.monotonic() - start,
    )


def permission_bits(mode: int) -> int:
    """The permission part of a mode (rwx for user/group/others, setuid, setgid, sticky)."""
    return mode & 0o7777


def unpack(tar_bytes: bytes, workdir: Path) -> dict[str, int] | None:
    """Replace ``workdir``'s content with the job's files (regular files and dirs only).

    Returns the permission bits each of them had in the sandbox, by path relative to ``workdir``
    ("." for itself), as the archive recorded them (the unpacked copies have group/others write
    and the setuid/setgid/sticky bits cleared); None when the archive is empty, truncated or
    unreadable, and then ``workdir`` is left as it was (the whole archive is checked first).
    """
    try:
        tar = tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:")
        members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
        for m in members:
            tarfile.data_filter(m, str(workdir))  # raises for absolute paths, "..", links outside
    except (tarfile.TarError, OSError, ValueError):
        return None
    if not any(m.name in (".", "./") for m in members):
        return None  # the supervisor always archives "." first: anything else is not its archive
    modes = {os.path.normpath(m.name): permission_bits(m.mode) for m in members}
    with tar:
        for child in workdir.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        try:
            tar.extractall(workdir, members=members, filter="data")
        except (tarfile.TarError, OSError):
            return None
    return modes


def disk_modes(workdir: Path) -> dict[str, int]:
    """The permission bits of the files and dirs under ``workdir`` (symbolic links are not
    followed or listed), by relative path as :func:`unpack` gives them."""
    modes = {".": permission_bits(workdir.lstat().st_mode)}
    for root, dirs, files in os.walk(workdir):
        for name in (*dirs, *files):
            path = Path(root, name)
            mode = path.lstat().st_mode
            if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
                modes[os.path.relpath(path, workdir)] = permission_bits(mode)
    return modes
