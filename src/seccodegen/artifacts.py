"""Artifact directories with a ``manifest.json`` (stage, schema, config, versions, inputs, times).

A stage calls :func:`open_artifact` before writing. The manifest's ``status`` is ``running``
while the stage works and ``finished`` once :meth:`Artifact.finish` ran. Rules:

* finished, same config and inputs, no ``force`` -> :class:`UpToDate` (nothing to do, like make);
* finished, other config or inputs, no ``force``  -> :class:`ArtifactError` (finished results are kept);
* finished + ``force``     -> the directory is emptied and the stage starts over;
* running, its process alive on this host -> :class:`ArtifactError` (two writers would mix records);
* running (a partial run)  -> resumed if the config hash matches; with another config it is
  started over when its process is gone from this host (a stale manifest of a failed start),
  else an error that says so;
* missing                  -> created.

The manifest records the writing process (``pid``, ``pid_start``, ``host``) to tell the cases apart.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccodegen import __version__
from seccodegen.config import config_hash, config_to_dict
from seccodegen.errors import ArtifactError

MANIFEST = "manifest.json"


class UpToDate(ArtifactError):  # noqa: N818 (a state, not a failure: the CLI exits 0)
    """The artifact is finished with the same config and inputs: nothing to do."""


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc), so a reused pid is not taken
    for the process that wrote a manifest; None where /proc is not there."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def writer_alive(manifest: dict[str, Any]) -> bool | None:
    """Is the process that wrote ``manifest`` still running? None: cannot tell (another host, or
    a manifest without a pid, or this very process reopening its own artifact)."""
    pid, host = manifest.get("pid"), manifest.get("host")
    if not isinstance(pid, int) or host != socket.gethostname():
        return None
    if pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    started = manifest.get("pid_start")
    return started is None or _process_start(pid) in (None, started)


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def git_sha(start: Path | None = None) -> str | None:
    """The project's git SHA (HEAD) if the package runs from a git checkout, else None."""
    here = start or Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and len(sha) == 40 else None


def git_dirty(start: Path | None = None) -> bool | None:
    """Whether the package's own source files differ from the checkout's HEAD (tracked files
    only), so a manifest's ``git_sha`` alone does not name the code that ran; None outside a
    git checkout. A copy of a repository whose ``.git`` lags its files shows up here too."""
    here = start or Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no", "--", "."],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(out.stdout.strip()) if out.returncode == 0 else None


@functools.lru_cache(maxsize=1)
def code_provenance() -> tuple[str | None, bool | None]:
    """(git_sha, git_dirty) of the running package, looked up once per process: the code a process
    runs is the code it imported, so every manifest it writes names the same commit."""
    return git_sha(), git_dirty()


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def input_hash(path: str | Path) -> str:
    """Hash of an input: a file's sha256, or for a directory its manifest's hash / a tree hash."""
    p = Path(path)
    if p.is_file():
        return file_sha256(p)
    if (p / MANIFEST).is_file():
        return "manifest:" + file_sha256(p / MANIFEST)
    if p.is_dir():
        h = hashlib.sha256()
        for sub in sorted(q for q in p.rglob("*") if q.is_file()):
            h.update(str(sub.relative_to(p)).encode())
            h.update(file_sha256(sub).encode())
        return "tree:" + h.hexdigest()
    return "missing"


def read_manifest(path: str | Path) -> dict[str, Any] | None:
    m = Path(path) / MANIFEST
    if not m.is_file():
        return None
    try:
        return json.loads(m.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        raise ArtifactError(f"{m} is not valid JSON; delete it or rerun with --force") from None


def is_finished(path: str | Path) -> bool:
    try:
        m = read_manifest(path)
    except ArtifactError:
        return False
    return bool(m and m.get("status") == "finished")


@dataclass
class Artifact:
    """An open artifact directory. ``resumed`` is True when a partial run is being continued."""

    path: Path
    stage: str
    schema_version: int
    config: dict[str, Any]
    config_hash: str
    inputs: dict[str, str]
    resumed: bool = False
    started: str = field(default_factory=now_iso)
    extra: dict[str, Any] = field(default_factory=dict)

    def _manifest(self, status: str, outputs: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "status": status,
            "schema_version": self.schema_version,
            "config": self.config,
            "config_hash": self.config_hash,
            "package": "seccodegen",
            "package_version": __version__,
            "git_sha": code_provenance()[0],
            "git_dirty": code_provenance()[1],
            "inputs": self.inputs,
            "started": self.started,
            "finished": now_iso() if status == "finished" else None,
            "outputs": outputs or {},
            "pid": os.getpid(),
            "pid_start": _process_start(os.getpid()),
            "host": socket.gethostname(),
            **self.extra,
        }

    def write_manifest(self, status: str = "running", outputs: dict[str, Any] | None = None) -> None:
        tmp = self.path / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(self._manifest(status, outputs), indent=2, sort_keys=True) + "\n")
        os.replace(tmp, self.path / MANIFEST)  # atomic: a kill never leaves half a manifest

    def finish(self, outputs: dict[str, Any] | None = None) -> None:
        """Mark the artifact finished; ``outputs`` maps file names to counts/hashes for the record."""
        self.write_manifest("finished", outputs)

    def file(self, name: str) -> Path:
        return self.path / name


def open_artifact(
    path: str | Path,
    stage: str,
    config: Any,
    schema_version: int = 1,
    inputs: dict[str, str | Path] | None = None,
    force: bool = False,
) -> Artifact:
    """Create, resume or (with ``force``) restart the artifact directory ``path`` for ``stage``."""
    p = Path(path)
    cfg_dict = config_to_dict(config)
    chash = config_hash(config)
    hashed_inputs = {name: input_hash(src) for name, src in (inputs or {}).items()}
    existing = read_manifest(p) if p.exists() else None
    resumed = False
    if existing is not None:
        if existing.get("stage") != stage:
            raise ArtifactError(
                f"{p} holds a {existing.get('stage')!r} artifact, not {stage!r}; choose another --out"
            )
        finished = existing.get("status") == "finished"
        same_config = existing.get("config_hash") == chash
        alive = None if finished else writer_alive(existing)
        if alive:
            raise ArtifactError(
                f"{p} is being written by process {existing.get('pid')} on this host; wait for it, "
                "or stop it and rerun (the rerun resumes)"
            )
        if finished and not force:
            if same_config and existing.get("inputs") == hashed_inputs:
                raise UpToDate(f"{p} is finished with the same config and inputs (--force redoes it)")
            what = "config" if not same_config else "inputs"
            raise ArtifactError(f"{p} is finished with another {what}; pass --force to redo it, or choose another --out")
        if force:
            shutil.rmtree(p)
        elif not same_config and alive is False:
            print(f"{p}: taking over a partial run whose process ({existing.get('pid')}) is gone; "
                  "its config differs, so it starts over", file=sys.stderr)
            shutil.rmtree(p)
        elif not same_config:
            raise ArtifactError(
                f"{p} holds a partial run with a different config; pass --force to restart it"
            )
        else:
            resumed = True
    elif p.exists() and any(p.iterdir()) and not force:
        raise ArtifactError(f"{p} exists, is not empty and has no {MANIFEST}; choose another --out or --force")
    elif p.exists() and force:
        shutil.rmtree(p)
    p.mkdir(parents=True, exist_ok=True)
    art = Artifact(
        path=p,
        stage=stage,
        schema_version=schema_version,
        config=cfg_dict,
        config_hash=chash,
        inputs=hashed_inputs,
        resumed=resumed,
        started=existing.get("started", now_iso()) if resumed and existing else now_iso(),
    )
    art.write_manifest("running")
    return art
