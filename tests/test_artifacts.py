import json

import pytest

from seccodegen.artifacts import is_finished, open_artifact
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
    with pytest.raises(ArtifactError, match="--force"):
        open_artifact(out, "judge", {"a": 1})
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


def test_appender_cuts_torn_line(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"a": 1}\n{"a": ')
    with JsonlAppender(p) as app:
        app.write({"a": 2})
    assert read_jsonl(p) == [{"a": 1}, {"a": 2}]
    assert content_hash("x") == content_hash("x") != content_hash("y")
