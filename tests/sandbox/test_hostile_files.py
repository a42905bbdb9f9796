"""Hostile samples against the file system: write outside, read secrets (at run and compile
time), `#include "/dev/zero"`, forging another job's files or the judge cache."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import seccodegen
from seccodegen.judge.analyzers import get_analyzer
from seccodegen.judge.cache import ResultCache, cache_key
from seccodegen.judge.compilers import get_compiler
from seccodegen.sandbox import SandboxLimits, run_sandboxed

from .conftest import needs_bwrap, py

TRY_OPEN = """
import os, sys
for target in sys.argv[1:]:
    try:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)  # writes nothing
        os.close(fd)
        print("OPENED", target)
    except OSError as exc:
        print("DENIED", target, exc.strerror)
"""


@needs_bwrap
def test_cannot_write_outside_its_workdir(tmp_path, marker):
    work = tmp_path / "a" / "b" / "work"
    work.mkdir(parents=True)
    created = [tmp_path / f"{marker}-outside", work.parent.parent / f"{marker}-dotdot",
               Path.home() / f"{marker}-home", Path(tempfile.gettempdir()) / f"{marker}-systmp"]  # fmt: skip
    existing = [Path(seccodegen.__file__).resolve(), Path(sys.executable).resolve(), Path("/etc/passwd")]
    before = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in existing}
    argv = py(TRY_OPEN, *map(str, created), f"../../{marker}-rel", *map(str, existing))
    res = run_sandboxed(argv, workdir=work)
    assert res.returncode == 0, res.stderr
    for p in existing:  # the project's sources, the interpreter, /etc/passwd: read-only or absent
        assert f"DENIED {p}" in res.stdout
        assert (p.stat().st_mtime_ns, p.stat().st_size) == before[p]
    for p in created:  # paths the job may create inside its private tmpfs never reach the host
        assert not p.exists()
    assert not (work.parent.parent / f"{marker}-rel").exists()


@needs_bwrap
def test_cannot_read_a_planted_secret(tmp_path, marker):
    secret = tmp_path / "secret.txt"
    secret.write_text(marker)
    home_secret = Path.home() / ".seccodegen-test-secret"
    home_secret.write_text(marker)
    try:
        code = "import sys\nfor p in sys.argv[1:]:\n    try: print(open(p).read())\n    except OSError as e: print('no', e)"
        res = run_sandboxed(py(code, str(secret), str(home_secret)))
    finally:
        home_secret.unlink()
    assert res.returncode == 0
    assert marker not in res.stdout + res.stderr


@needs_bwrap
def test_include_of_a_secret_fails_at_compile_time(tmp_path, marker):
    secret = tmp_path / "secret.h"
    secret.write_text(f"int leaked = {marker};\n")
    src = tmp_path / "s.c"
    src.write_text(f'#include "{secret}"\nint main(void) {{ return 0; }}\n')
    validity = get_compiler("c").check(src, (), (), timeout=60)
    assert not validity.valid and marker not in (validity.compile_error or "")
    found = get_analyzer("gcc-warnings").run([src], "c", timeout=60)
    assert marker not in repr(found)


@needs_bwrap
def test_include_dev_zero_is_stopped_by_the_memory_limit(tmp_path):
    src = tmp_path / "z.c"
    src.write_text('#include "/dev/zero"\nint main(void) { return 0; }\n')
    start = time.monotonic()
    validity = get_compiler("c").check(src, (), (), timeout=120)
    assert not validity.valid and validity.status == "ok"  # killed by the limit, not by the timeout
    assert time.monotonic() - start < 110


@needs_bwrap
def test_cannot_change_another_jobs_files(tmp_path):
    victim, attacker = tmp_path / "victim", tmp_path / "attacker"
    victim.mkdir()
    attacker.mkdir()
    (victim / "source.c").write_text("original")
    overwrite = "import sys, time\nfor _ in range(20):\n    try: open(sys.argv[1], 'w').write('forged')\n    except OSError: pass\n    time.sleep(0.05)"
    slow = "import time; time.sleep(1.5); print(open('source.c').read())"
    results = {}
    t = threading.Thread(target=lambda: results.setdefault("v", run_sandboxed(py(slow), workdir=victim)))
    t.start()
    run_sandboxed(py(overwrite, str(victim / "source.c")), workdir=attacker)
    t.join()
    assert results["v"].stdout.strip() == "original"
    assert (victim / "source.c").read_text() == "original"


@needs_bwrap
def test_cannot_poison_the_cache_or_rewrite_results(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    key = cache_key("tests", "victim")
    cache.put(key, {"passed": False})
    entry = cache._path(key)
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.jsonl").write_text("real\n")
    forge = ("import sys\nfor p, text in ((sys.argv[1], '{}'), (sys.argv[2], 'forged')):\n"
             "    try: open(p, 'w').write(text)\n    except OSError as e: print('denied', e)")  # fmt: skip
    res = run_sandboxed(py(forge, str(entry), str(out / "results.jsonl")))
    assert res.stdout.count("denied") == 2
    assert cache.get(key) == {"passed": False}
    assert (out / "results.jsonl").read_text() == "real\n"


def test_cache_rejects_copied_or_edited_entries(tmp_path):
    cache = ResultCache(tmp_path)
    secure, vulnerable = cache_key("analyzer", "a"), cache_key("analyzer", "b")
    cache.put(secure, {"findings": []})
    cache.put(vulnerable, {"findings": [{"rule": "x"}]})
    # another sample's entry copied over this one: its stored key does not match
    cache._path(vulnerable).write_bytes(cache._path(secure).read_bytes())
    assert cache.get(vulnerable) is None
    # the value edited in place: the MAC does not match
    cache.put(vulnerable, {"findings": [{"rule": "x"}]})
    text = cache._path(vulnerable).read_text().replace('"rule": "x"', '"rule": "y"')
    cache._path(vulnerable).write_text(text)
    assert cache.get(vulnerable) is None
    assert cache.get(secure) == {"findings": []}
    assert oct(os.stat(tmp_path / ".secret").st_mode & 0o777) == "0o600"


@needs_bwrap
def test_disk_limit_holds_across_processes(tmp_path):
    code = """
import os
os.makedirs("d", exist_ok=True)
pids = []
for i in range(4):
    pid = os.fork()
    if pid == 0:
        n = 0
        try:
            with open(f"d/f{i}", "wb") as f:
                for _ in range(16):
                    f.write(b"x" * (1 << 20)); f.flush(); n += 1
        except OSError:
            pass
        print("WROTE", n, flush=True)
        os._exit(0)
    pids.append(pid)
for pid in pids:
    os.waitpid(pid, 0)
"""
    limits = SandboxLimits(disk_mb=24, file_size_mb=64, total_memory_mb=512, wall_seconds=60)
    res = run_sandboxed(py(code), workdir=tmp_path, limits=limits)
    written = sum(int(line.split()[1]) for line in res.stdout.splitlines() if line.startswith("WROTE"))
    assert written <= 24  # MiB, all four processes together (64 were attempted)
    assert sum(f.stat().st_size for f in tmp_path.rglob("*") if f.is_file()) <= 24 << 20
