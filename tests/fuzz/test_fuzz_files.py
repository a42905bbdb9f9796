"""Fuzz the remaining input kinds: stage config YAML (through the real CLI), scenario suites,
HumanEval task files, GGUF headers, and adversarial nesting / alias expansion."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from fuzz_harness import (
    byte_corruption,
    call,
    dumps_jsonl,
    fuzz_settings,
    invoke,
    json_field_corruption,
    record,
    strict_jsonl,
    write,
)
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz_dataset import FS_DAMAGE, damage_path

from seccodegen.config import load_yaml
from seccodegen.errors import SeccodegenError
from seccodegen.humaneval.tasks import load_tasks
from seccodegen.inputs.gguf_file import check_gguf
from seccodegen.records import read_jsonl
from seccodegen.scenarios.model import load_suite

TESTS = Path(__file__).parents[1]
RESULTS = TESTS / "fixtures" / "report" / "results.csv"
SUITE = TESTS / "fixtures" / "scenarios" / "valid"
TASKS = (TESTS / "fixtures" / "humaneval" / "tasks.jsonl").read_bytes()


# ---- a stage's --config YAML, through `seccodegen report --config` ----------------------------

REPORT_KEYS = {"results": str, "out": str, "title": str, "notes": list, "plots": bool, "humaneval": str}


def _config_ok(data: bytes) -> dict | None:
    """Independent oracle: a mapping of known ReportConfig keys with the documented types."""
    try:
        value = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return None
    value = {} if value is None else value  # an empty file is an empty mapping
    if not isinstance(value, dict) or not set(value) <= set(REPORT_KEYS):
        return None
    if not all(isinstance(v, REPORT_KEYS[k]) or (k == "title" and isinstance(v, (int, float))) for k, v in value.items()):
        return None
    return value


@fuzz_settings(10)
@given(data=st.data())
def test_config_yaml(tmp_path_factory, data) -> None:
    tmp = tmp_path_factory.mktemp("cfg")
    intact = b"title: fuzzed\nplots: false\nnotes: [one, two]\n"
    how, bad = data.draw(byte_corruption(intact), label="corruption")
    cfg = write(tmp / "report.yaml", bad)
    rc, exc, _ = invoke(["report", str(RESULTS), "--config", str(cfg), "--out", str(tmp / "out")])
    expected = _config_ok(bad)
    if expected is None:
        assert exc is not None, f"{how}: invalid config accepted"
        record("config yaml (report --config)", "error")
    elif exc is not None:  # a valid mapping may still name a file that does not exist
        assert set(expected) & {"results", "humaneval", "out"}, f"{how}: valid config rejected: {exc}"
        record("config yaml (report --config)", "error")
    else:
        record("config yaml (report --config)", "same" if expected == _config_ok(intact) else "valid")


def test_nesting_and_billion_laughs(tmp_path) -> None:
    deep_yaml = write(tmp_path / "deep.yaml", b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n")
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(9)
    )
    lol = write(tmp_path / "lol.yaml", laughs.encode())
    deep_json = write(tmp_path / "deep.jsonl", b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}\n")
    for path, load in ((deep_yaml, load_yaml), (lol, load_yaml), (deep_json, read_jsonl)):
        start = time.monotonic()
        with pytest.raises(SeccodegenError) as err:
            load(path)
        assert time.monotonic() - start < 5 and "\n" not in str(err.value)
        record("nesting / alias expansion", "error")


# ---- scenario suites -------------------------------------------------------------------------


@fuzz_settings(15)
@given(data=st.data())
def test_scenario_suite(tmp_path_factory, data) -> None:
    tmp = tmp_path_factory.mktemp("suite")
    root = tmp / "suite"
    shutil.copytree(SUITE, root)
    intact = [s.id for s in load_suite(root)]
    files = sorted(p for p in root.rglob("*.yaml"))
    target = data.draw(st.sampled_from(files), label="file")
    if data.draw(st.booleans(), label="filesystem"):
        how = data.draw(st.sampled_from([d for d in FS_DAMAGE if d != "delete"]), label="damage")
        damage_path(target, how)
        bad = None
    else:
        how, bad = data.draw(byte_corruption(target.read_bytes()), label="corruption")
        write(target, bad)
    value, exc = call(lambda: [s.id for s in load_suite(root)])
    if exc is not None:
        record("scenario suite", "error")
        return
    try:
        parses = bad is not None and isinstance(yaml.safe_load(bad.decode("utf-8")), dict)
    except (UnicodeDecodeError, yaml.YAMLError):
        parses = False
    assert value == intact or parses, f"{target.name}: {how}: suite changed without an error"
    record("scenario suite", "same" if value == intact else "valid")


def test_contamination_scenarios_skip_fifo(tmp_path) -> None:
    from seccodegen.dataset.contamination import load_scenarios

    root = tmp_path / "s"
    shutil.copytree(SUITE, root)
    os.mkfifo(root / "pipe.yaml")
    skipped: list[str] = []
    value, exc = call(lambda: load_scenarios(root, skipped))
    assert exc is None and any("FIFO" in s for s in skipped)


# ---- HumanEval tasks -------------------------------------------------------------------------


def _tasks_ok(data: bytes) -> bool:
    recs = strict_jsonl(data)
    if not recs:
        return False
    ids = [r.get("task_id") for r in recs]
    fields_ok = all(isinstance(r.get(f), str) for r in recs for f in ("task_id", "prompt", "declaration", "test"))
    canon_ok = all(isinstance(r.get("canonical_solution", ""), str) for r in recs)
    return fields_ok and canon_ok and len(set(ids)) == len(ids)


@fuzz_settings(25)
@given(data=st.data())
def test_humaneval_tasks(tmp_path_factory, data) -> None:
    tmp = tmp_path_factory.mktemp("he")
    if data.draw(st.booleans(), label="field-level"):
        how, recs = data.draw(json_field_corruption(strict_jsonl(TASKS)), label="corruption")
        bad = dumps_jsonl(recs)
    else:
        how, bad = data.draw(byte_corruption(TASKS), label="corruption")
    value, exc = call(lambda: load_tasks(write(tmp / "tasks.jsonl", bad)))
    if exc is not None:
        record("humaneval tasks.jsonl", "error")
        return
    assert _tasks_ok(bad), f"{how}: invalid task file accepted"
    same = [t.task_id for t in value] == [t.task_id for t in load_tasks(write(tmp / "i.jsonl", TASKS))]
    record("humaneval tasks.jsonl", "same" if same and bad == TASKS else "valid")


def test_duplicate_task_id(tmp_path) -> None:
    lines = TASKS.splitlines()
    value, exc = call(lambda: load_tasks(write(tmp_path / "t.jsonl", lines[0] + b"\n" + lines[0] + b"\n")))
    assert exc is not None and "twice" in str(exc)


# ---- GGUF model files ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_gguf(tmp_path_factory) -> bytes:
    import gguf

    path = tmp_path_factory.mktemp("gguf") / "m.gguf"
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_block_count(1)
    w.add_array("tokenizer.ggml.tokens", ["a", "b", "c"])
    w.add_tensor("token_embd.weight", np.ones((4, 8), dtype=np.float32))
    w.add_tensor("output.weight", np.zeros((4, 8), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path.read_bytes()


@fuzz_settings(40)
@given(data=st.data())
def test_gguf(tmp_path_factory, small_gguf, data) -> None:
    tmp = tmp_path_factory.mktemp("gg")
    how, bad = data.draw(byte_corruption(small_gguf), label="corruption")
    value, exc = call(lambda: check_gguf(write(tmp / "m.gguf", bad)))
    record("gguf file", "error" if exc is not None else ("same" if bad == small_gguf else "valid"))


def test_gguf_every_truncation(tmp_path, small_gguf) -> None:
    """An interrupted download: every prefix is refused with one line (no struct.error)."""
    for k in range(0, len(small_gguf), 3):
        path = write(tmp_path / "t.gguf", small_gguf[:k])
        value, exc = call(lambda p=path: check_gguf(p))
        assert exc is not None and "download" in str(exc), k
