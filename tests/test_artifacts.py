import json
import subprocess
import sys

import pytest

from seccodegen.artifacts import UpToDate, is_finished, open_artifact
from seccodegen.errors import ArtifactError, InputError
from seccodegen.records import BadLine, JsonlAppender, content_hash, read_jsonl, write_jsonl


def test_manifest_lifecycle(tmp_path):
    out = tmp_path / "art"
    open_artifact(out, "judge", {"a": 1}, inputs={"src": __file__})
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "running" and m["stage"] == "judge" and m["config"] == {"a": 1}
    assert len(m["inputs"]["src"]) == 64 and m["package_version"]
    # a partial run with the same config resumes
    again = open_artifact(out, "judge", {"a": 1})
    assert again.resumed
    with pytest.raises(ArtifactError, match="different config"):
        open_artifact(out, "judge", {"a": 2})
    again.finish({"results.jsonl": 3})
    assert is_finished(out)
    with pytest.raises(UpToDate, match="same config and inputs"):
        open_artifact(out, "judge", {"a": 1})
    with pytest.raises(ArtifactError, match="another config; pass --force"):
        open_artifact(out, "judge", {"a": 3})
    fresh = open_artifact(out, "judge", {"a": 2}, force=True)
    assert not fresh.resumed and not is_finished(out)
    with pytest.raises(ArtifactError, match="not 'sample'"):
        open_artifact(out, "sample", {"a": 2})


def test_jsonl_roundtrip_and_bad_lines(tmp_path):
    p = tmp_path / "r.jsonl"
    write_jsonl(p, [{"a": 1}, {"b": "é"}])
    assert read_jsonl(p) == [{"a": 1}, {"b": "é"}]
    with open(p, "a") as fh:
        fh.write("{broken\n")
    with pytest.raises(InputError, match=":3:"):
        read_jsonl(p)
    bad: list[BadLine] = []
    assert len(read_jsonl(p, bad)) == 2 and bad[0].line == 3


def test_jsonl_gz_is_written_compressed(tmp_path):
    import gzip

    p = tmp_path / "r.jsonl.gz"
    write_jsonl(p, [{"a": 1}])
    assert gzip.decompress(p.read_bytes()) == b'{"a": 1}\n' and read_jsonl(p) == [{"a": 1}]


def test_appender_cuts_torn_line(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"a": 1}\n{"a": ')
    with JsonlAppender(p) as app:
        app.write({"a": 2})
    assert read_jsonl(p) == [{"a": 1}, {"a": 2}]
    assert content_hash("x") == content_hash("x") != content_hash("y")


def _manifest_of_process(out, pid):
    data = json.loads((out / "manifest.json").read_text())
    data.update(pid=pid, pid_start=None)
    (out / "manifest.json").write_text(json.dumps(data))


def test_stale_running_manifest_of_a_dead_process_is_taken_over(tmp_path, capsys):
    out = tmp_path / "art"
    open_artifact(out, "sample", {"a": 1})
    (out / "partial.jsonl").write_text("{}\n")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _manifest_of_process(out, dead.pid)  # a failed start: "running", written by a process now gone
    art = open_artifact(out, "sample", {"a": 2})  # the corrected rerun
    assert not art.resumed and not (out / "partial.jsonl").exists()
    assert "taking over" in capsys.readouterr().err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "running" and manifest["config"] == {"a": 2}


def test_running_manifest_of_a_live_process_is_refused(tmp_path):
    out = tmp_path / "art"
    open_artifact(out, "sample", {"a": 1})
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _manifest_of_process(out, live.pid)
        with pytest.raises(ArtifactError, match=f"being written by process {live.pid}"):
            open_artifact(out, "sample", {"a": 1})
    finally:
        live.kill()
        live.wait()


def test_cli_rerun_of_finished_work_is_a_no_op_with_a_message(tmp_path):
    from seccodegen.dataset import DEMO_COMMITS

    cmd = [sys.executable, "-m", "seccodegen", "dataset", "build",
           "--source", f"vulnfix-jsonl:{DEMO_COMMITS}", "--out", str(tmp_path / "ds")]  # fmt: skip
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before = (tmp_path / "ds" / "manifest.json").read_text()
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "nothing to do" in again.stderr and "--force" in again.stderr
    assert (tmp_path / "ds" / "manifest.json").read_text() == before


@pytest.mark.skipif(subprocess.run(["git", "--version"], capture_output=True).returncode != 0, reason="no git")
def test_git_dirty_says_whether_tracked_files_differ_from_head(tmp_path):
    from seccodegen.artifacts import git_dirty, git_sha

    repo = tmp_path / "repo"
    pkg = repo / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (repo / "notes.md").write_text("outside the package\n")
    env = ["-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), *env, "add", "."], check=True)
    subprocess.run(["git", "-C", str(repo), *env, "commit", "-qm", "one"], check=True)
    assert git_dirty(pkg) is False and len(git_sha(pkg)) == 40
    (repo / "notes.md").write_text("changed outside the package\n")
    (pkg / "new.py").write_text("untracked\n")
    assert git_dirty(pkg) is False  # only the package's tracked files count
    (pkg / "a.py").write_text("x = 2\n")
    assert git_dirty(pkg) is True
    assert git_dirty(tmp_path / "elsewhere") is None  # not a checkout (no such folder either)
