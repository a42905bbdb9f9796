"""What every fuzz test shares: corruptions, the outcome of one run, and the tally table.

An outcome is one of
* ``same``    exit 0, output identical to the intact input's;
* ``valid``   exit 0, output differs, and the test's independent oracle says the corrupted input
              is itself valid (e.g. a flipped byte inside a code string): still correct;
* ``error``   a one-line :class:`SeccodegenError` (the CLI's exit 2), no traceback;
* ``skip``    exit 0 with the damage recorded (bad_lines.jsonl / dropped.jsonl / skipped list).
Anything else (another exception, a hang past the limit, exit 0 with unexplained different
output) fails the test.
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from seccodegen.errors import SeccodegenError

SLOW = os.environ.get("SECCODEGEN_FUZZ_SLOW") == "1"  # set by tests/fuzz/conftest.py under --run-slow
TIME_LIMIT_S = 20  # one run of a command on a small fixture; more means it hangs
OUTCOMES = ("same", "valid", "error", "skip")
TALLY: dict[str, Counter] = {}  # input kind -> outcome counts (printed at the end of the session)


def fuzz_settings(default: int, slow: int | None = None) -> settings:
    """Bounded, reproducible examples by default; many more, randomised, under --run-slow."""
    return settings(
        max_examples=(slow or default * 10) if SLOW else default,
        derandomize=not SLOW,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: int = TIME_LIMIT_S):
    def fire(*_: Any) -> None:
        raise Hang(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def record(kind: str, outcome: str) -> str:
    assert outcome in OUTCOMES, outcome
    TALLY.setdefault(kind, Counter())[outcome] += 1
    return outcome


def one_line_error(exc: BaseException) -> str:
    """The message the CLI would print; fails the test unless it is one line of a project error."""
    assert isinstance(exc, SeccodegenError), f"crash: {type(exc).__name__}: {exc}"
    text = str(exc)
    assert text and "\n" not in text and "Traceback" not in text, f"not one line: {text!r}"
    return text


def call(fn: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    """Run ``fn`` under the time limit; returns (value, None) or (None, the project error)."""
    try:
        with time_limit():
            return fn(), None
    except SeccodegenError as exc:
        one_line_error(exc)
        return None, exc


def invoke(args: list[str]) -> tuple[int, BaseException | None, str]:
    """The real CLI in-process: (exit code, project error or None, output). Other exceptions fail."""
    from seccodegen.cli import app

    with time_limit():
        res = CliRunner().invoke(app, args, catch_exceptions=True)
    exc = res.exception
    if exc is not None and not isinstance(exc, SystemExit):
        one_line_error(exc)
        return 2, exc, res.output
    assert "Traceback" not in res.output, res.output
    if res.exit_code == 2:  # a usage error (missing argument, bad option value): click's clear message
        return 2, SeccodegenError(res.output.strip().splitlines()[-1] if res.output.strip() else "usage"), res.output
    assert res.exit_code == 0, res.output
    return res.exit_code, None, res.output


# ---- corruptions of bytes -------------------------------------------------------------------


@st.composite
def byte_corruption(draw: st.DrawFn, data: bytes) -> tuple[str, bytes]:
    """One generic damage: truncation, a flipped byte, an inserted non-UTF-8 byte, a cut range,
    a duplicated or deleted line, or an empty file."""
    n = len(data)
    how = draw(st.sampled_from(["truncate", "flip", "non_utf8", "cut", "dup_line", "del_line", "empty"]))
    if how == "truncate":
        k = draw(st.integers(0, max(0, n - 1)))
        return f"truncate@{k}", data[:k]
    if how == "flip":
        i = draw(st.integers(0, n - 1))
        bit = draw(st.integers(0, 7))
        return f"flip@{i}", data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1 :]
    if how == "non_utf8":
        i = draw(st.integers(0, n))
        b = draw(st.sampled_from([b"\xff", b"\xc3", b"\x80", b"\xed\xa0\x80"]))
        return f"non_utf8@{i}", data[:i] + b + data[i:]
    if how == "cut":
        i = draw(st.integers(0, n - 1))
        j = draw(st.integers(i, min(n, i + 64)))
        return f"cut@{i}-{j}", data[:i] + data[j:]
    lines = data.split(b"\n")
    k = draw(st.integers(0, max(0, len(lines) - 1)))
    if how == "dup_line":
        return f"dup_line@{k}", b"\n".join(lines[: k + 1] + lines[k:])
    if how == "del_line":
        return f"del_line@{k}", b"\n".join(lines[:k] + lines[k + 1 :])
    return "empty", b""


WRONG_VALUES = [5, -1, 2.5, float("nan"), True, None, [], ["x", 1], {"a": 1}, "", "maybe", "\ud800", [[[]]]]


@st.composite
def json_field_corruption(draw: st.DrawFn, records: list[dict]) -> tuple[str, list[dict]]:
    """A record with one field set to a value of the wrong type, removed, or an extra field added."""
    out = [dict(r) for r in records]
    i = draw(st.integers(0, len(out) - 1))
    keys = sorted(out[i])
    how = draw(st.sampled_from(["wrong_type", "missing", "extra"]))
    key = draw(st.sampled_from(keys))
    if how == "wrong_type":
        value = draw(st.sampled_from(WRONG_VALUES))
        out[i][key] = value
        return f"{key}={value!r}@{i}", out
    if how == "missing":
        del out[i][key]
        return f"-{key}@{i}", out
    out[i]["zz_extra"] = draw(st.sampled_from(WRONG_VALUES))
    return f"+zz_extra@{i}", out


def dumps_jsonl(records: list[dict]) -> bytes:
    return "".join(json.dumps(r, sort_keys=True) + "\n" for r in records).encode("utf-8", "surrogatepass")


def strict_jsonl(data: bytes) -> list[dict] | None:
    """Independent oracle: the records, if every non-blank line is a UTF-8 JSON object; else None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    out = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            return None
        if not isinstance(obj, dict):
            return None
        out.append(obj)
    return out


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
