"""Frama-C Eva: alarm lines -> findings with CWE ids; only decisive kinds carry a CWE."""

from __future__ import annotations

from pathlib import Path

from seccodegen.judge.analyzers.framac_eva import alarm_cwes, parse_log, precondition_cwes

LOG = """[eva] analyzing
[eva:alarm] prog.c:30: Warning:
  signed overflow. assert data + 1 \u2264 9223372036854775807;
[eva:alarm] prog.c:36: Warning:
  accessing left-value that contains escaping addresses.
  assert \u00ac\\dangling(&data);
[eva:alarm] prog.c:40: Warning:
  function strncat, behavior complete: precondition 'room_string' got status invalid.
[eva:alarm] prog.c:41: Warning:
  function fgets: precondition 'valid_stream' got status unknown.
[eva:alarm] io.c:7: Warning:
  out of bounds read. assert \\valid_read(p);
[eva:alarm] prog.c:50: Warning:
  accessing uninitialized left-value. assert \\initialized(&x);
[eva] done for function main
"""


def test_alarm_kinds_map_to_cwes() -> None:
    assert alarm_cwes("out of bounds write. assert \\valid(buf + i);") == ("CWE-787",)
    assert alarm_cwes("out of bounds read. assert \\valid_read(p);") == ("CWE-125", "CWE-476")
    assert alarm_cwes("accessing out of bounds index. assert i < 50;") == ("CWE-788",)
    assert alarm_cwes("division by zero. assert d \u2260 0;") == ()
    assert precondition_cwes("valid_dest", "invalid") == ("CWE-787",)
    assert precondition_cwes("valid_src", "invalid") == ("CWE-125",)
    assert precondition_cwes("valid_dest", "unknown") == ()  # not proved false: never decisive


def test_parse_log_keeps_the_programs_alarms_only() -> None:
    found = parse_log(LOG, Path("/tmp/x/prog.c"))
    assert [(f.line, f.cwe_ids) for f in found] == [
        (30, ("CWE-190",)), (36, ("CWE-416",)), (40, ("CWE-787",)), (41, ()), (50, ()),
    ]  # fmt: skip
    assert found[2].rule == "precondition:strncat:room_string:invalid"
    assert all(f.tool == "frama-c-eva" and f.file == "/tmp/x/prog.c" for f in found)


def test_off_by_default() -> None:
    from seccodegen.judge.config import JudgeConfig
    from seccodegen.judge.engine import selected_analyzers

    assert "frama-c-eva" not in selected_analyzers(JudgeConfig())
    assert selected_analyzers(JudgeConfig(analyzers=("frama-c-eva",))) == ["frama-c-eva"]
