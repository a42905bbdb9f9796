"""The bubblewrap (``bwrap``) command line for one job, and whether bwrap works on this machine.

What the job sees (everything else of the host does not exist for it):

* ``/usr`` (and the ``/bin``, ``/lib*``, ``/sbin`` links or dirs), ``/etc`` without its
  secrets (shadow files, ssh keys, private TLS keys), and the Python installation the tools
  were installed into (``sys.prefix``) -- all read-only;
* the paths the caller lists in ``ro_paths`` (a program's binary, an analyzer's input files,
  rule files), read-only, at their own paths;
* a fresh ``/proc`` of its own PID namespace (the judge's processes are not in it), a minimal
  ``/dev`` (null, zero, full, random, urandom, tty), read-only apart from ``/dev/shm``;
* writable: ``/tmp`` and ``/dev/shm``, each a tmpfs of ``disk_mb`` MiB, and nothing else. The
  job's working directory is created inside that ``/tmp`` (or is its own tmpfs of the same
  size when the host path is not under ``/tmp``).

Namespaces: user, PID, mount, IPC, UTS, network (no interface but a loopback of its own) and
cgroup; ``--new-session`` (no terminal injection), ``--die-with-parent``, every capability
dropped, uid/gid 65534 inside.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

SANDBOX_UID = 65534  # "nobody": the job runs as an unprivileged user inside its user namespace
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# files and dirs under /etc that are masked (an empty file or dir over them)
ETC_SECRETS = ("/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/sudoers",
               "/etc/sudoers.d", "/etc/ssh", "/etc/ssl/private", "/etc/machine-id")  # fmt: skip
STAGING_DIR = "/run/seccodegen-in"  # where the caller's workdir is visible read-only, to copy in


def bwrap_path() -> str | None:
    """The bwrap executable (``SECCODEGEN_BWRAP`` overrides the PATH lookup), or None."""
    exe = os.environ.get("SECCODEGEN_BWRAP") or shutil.which("bwrap")
    return exe if exe and os.access(exe, os.X_OK) else None


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def tool_prefixes() -> list[str]:
    """Python installations outside /usr whose tools (semgrep, cppcheck, ...) jobs may run."""
    out: list[str] = []
    for p in {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}:
        if not _under(p, "/usr") and os.path.isdir(p):
            out.append(p)
    return sorted(out)


def tool_path() -> str:
    """PATH inside the sandbox: the running Python's bin dir first (pip-installed tools), then the system."""
    bins = [os.path.join(p, "bin") for p in tool_prefixes()]
    return ":".join([*bins, "/usr/local/bin", "/usr/bin", "/bin"])


def _system_view() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for link in SYSTEM_LINKS:
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            args += ["--ro-bind", link, link]
    if os.path.isdir("/etc"):
        args += ["--ro-bind", "/etc", "/etc"]
        for secret in ETC_SECRETS:
            if os.path.isdir(secret) and not os.path.islink(secret):
                args += ["--tmpfs", secret]
            elif os.path.lexists(secret):
                args += ["--ro-bind", "/dev/null", secret]
    return args


def _tool_view() -> list[str]:
    """The Python installations with the tools, bound after /tmp's tmpfs (a venv may live under /tmp)."""
    return [a for prefix in tool_prefixes() for a in ("--ro-bind", prefix, prefix)]


def bwrap_argv(
    *,
    cwd: str,
    disk_bytes: int,
    ro_paths: Sequence[str | Path] = (),
    staging: str | None = None,
    share_net: bool = False,
) -> list[str]:
    """bwrap's options up to (and including) ``--``; the caller appends the command.

    ``cwd`` is the job's working directory inside (created empty, writable); ``staging`` a host
    dir shown read-only at :data:`STAGING_DIR` (the supervisor copies it into ``cwd``).
    """
    exe = bwrap_path()
    if exe is None:
        raise FileNotFoundError("bwrap")
    args = [exe, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", "sandbox"]  # fmt: skip
    if share_net:
        args.append("--share-net")
    args += _system_view()
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(disk_bytes), "--perms", "1777", "--tmpfs", "/dev/shm", "--remount-ro", "/dev"]
    args += ["--size", str(disk_bytes), "--perms", "1777", "--tmpfs", "/tmp"]
    args += _tool_view()
    prefixes = tool_prefixes()
    for p in ro_paths:
        path = os.path.abspath(p)
        if any(_under(path, prefix) for prefix in prefixes):
            continue  # already visible (read-only) through its Python installation's bind
        args += ["--ro-bind", path, path]
    if staging is not None:
        args += ["--ro-bind", staging, STAGING_DIR]
    if not _under(cwd, "/tmp"):
        args += ["--size", str(disk_bytes), "--perms", "0755", "--tmpfs", cwd]
    else:
        args += ["--dir", cwd]
    args += ["--remount-ro", "/", "--chdir", cwd, "--"]
    return args


@functools.lru_cache(maxsize=1)
def bwrap_problem() -> str | None:
    """None when bwrap can create its namespaces here, else one line saying why not (probed once)."""
    exe = bwrap_path()
    if exe is None:
        return "bubblewrap (bwrap) is not installed"
    try:
        argv = bwrap_argv(cwd="/tmp/probe", disk_bytes=1 << 20)
        proc = subprocess.run([*argv, "/bin/true"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bwrap did not start ({exc})"
    if proc.returncode != 0:
        lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
        return f"bwrap cannot create its namespaces here ({lines[-1] if lines else f'exit {proc.returncode}'})"
    return None


def how_to_enable(problem: str) -> str:
    """What the user can do about :func:`bwrap_problem`'s answer."""
    if "not installed" in problem:
        return "install it (apt-get install bubblewrap; scripts/setup.sh does)"
    return ("allow user namespaces (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces>0; "
            "in Docker/Podman run the container with a seccomp profile that permits them, e.g. "
            "--security-opt seccomp=unconfined)")  # fmt: skip
