"""Validity as the study counts it: compiles to an object; linking, dialects, first error, tool discovery."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from seccodegen.judge.analyzers import base
from seccodegen.judge.compilers import first_error, get_compiler

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")

NO_MAIN = "int add(int a, int b) { return a + b; }\n"
CALLS_ELSEWHERE = "int helper(int);\nint main(void) { return helper(1); }\n"
# struct sigaction is POSIX: hidden by -std=c11, visible in the GNU dialect
POSIX_ONLY = (
    "#include <signal.h>\nvoid on(int s);\n"
    "int setup(void) { struct sigaction sa = {0}; sa.sa_handler = on; return sigaction(SIGINT, &sa, 0); }\n"
)


def _check(tmp_path: Path, code: str, external: bool = False, language: str = "c"):
    source = tmp_path / ("s.c" if language == "c" else "s.cpp")
    source.write_text(code)
    return get_compiler(language).check(source, (), (), 60.0, external=external)


@needs_gcc
def test_function_without_main_is_valid_but_does_not_link(tmp_path: Path) -> None:
    v = _check(tmp_path, NO_MAIN)
    assert (v.valid, v.compile_error, v.links) == (True, None, False)
    assert "main" in v.link_error and not v.link_error.startswith("collect2")


@needs_gcc
def test_call_to_function_defined_elsewhere_is_valid(tmp_path: Path) -> None:
    v = _check(tmp_path, CALLS_ELSEWHERE)
    assert v.valid and v.links is False
    assert "undefined reference" in v.link_error and "helper" in v.link_error


@needs_gcc
def test_complete_program_links(tmp_path: Path) -> None:
    v = _check(tmp_path, "#include <math.h>\nint main(void) { return (int)sqrt(4.0) - 2; }\n")
    assert (v.valid, v.links, v.link_error) == (True, True, None)


@needs_gcc
def test_missing_header_is_the_compile_error(tmp_path: Path) -> None:
    v = _check(tmp_path, "#include <no_such_header.h>\nint main(void) { return 0; }\n")
    assert v.valid is False and v.links is None
    assert "no_such_header.h" in v.compile_error


@needs_gcc
def test_external_records_use_the_gnu_dialect_scenarios_their_own(tmp_path: Path) -> None:
    assert _check(tmp_path, POSIX_ONLY, external=True).valid
    strict = _check(tmp_path, POSIX_ONLY, external=False)  # scenario programs: -std=c11 as tests build them
    assert strict.valid is False and "sa" in strict.compile_error


@needs_gcc
def test_include_dirs_and_library_sources_named_by_the_flags_are_visible(tmp_path: Path) -> None:
    support = tmp_path / "support"  # like Juliet's testcasesupport/: a header and a .c to link
    support.mkdir()
    (support / "helper.h").write_text("int helper(int x);\n")
    (support / "helper.c").write_text("int helper(int x) { return x - 1; }\n")
    source = tmp_path / "s.c"
    source.write_text('#include "helper.h"\nint main(void) { return helper(1); }\n')
    v = get_compiler("c").check(source, (f"-I{support}",), (str(support / "helper.c"),), 60.0)
    assert (v.valid, v.compile_error, v.links, v.link_error) == (True, None, True, None)


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")
def test_cpp_without_main_is_valid(tmp_path: Path) -> None:
    v = _check(tmp_path, "#include <string>\nstd::string twice(const std::string& s) { return s + s; }\n",
               external=True, language="cpp")  # fmt: skip
    assert v.valid and v.links is False


def test_first_error_skips_the_linker_summary() -> None:
    log = (
        "/usr/bin/ld: /tmp/cc1.o: in function `main':\n"
        "main.c:(.text+0xe): undefined reference to `helper'\n"
        "collect2: error: ld returned 1 exit status\n"
    )
    assert first_error(log) == "main.c:(.text+0xe): undefined reference to `helper'"
    assert first_error("a.c:1:10: fatal error: x.h: No such file or directory\n").startswith(
        "a.c:1:10: fatal"
    )
    assert first_error("collect2: error: ld returned 1 exit status\n").startswith("collect2")  # nothing else


def test_tools_are_found_beside_sys_executable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    venv_bin = tmp_path / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    tool = venv_bin / "seccodegen-fake-tool"
    tool.write_text("#!/bin/sh\necho 'fake-tool version 9.9'\n")
    tool.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(venv_bin / "python"))  # a venv's python, not activated
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert base.tool_dirs()[0] == str(venv_bin)
    assert base.which("seccodegen-fake-tool") == str(tool)
    assert base.tool_argv(["seccodegen-fake-tool", "-x"]) == [str(tool), "-x"]
    assert base.run_tool(["seccodegen-fake-tool"], timeout=30).stdout.strip() == "fake-tool version 9.9"
    assert base.which("seccodegen-no-such-tool") is None
    assert base.tool_argv(["seccodegen-no-such-tool"]) == ["seccodegen-no-such-tool"]


def test_path_still_searched(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    assert base.which("sh") == shutil.which("sh", path=os.environ["PATH"])


@needs_gcc
def test_programs_checked_in_one_job_get_what_each_gets_alone(tmp_path: Path) -> None:
    support = tmp_path / "support"
    support.mkdir()
    (support / "helper.h").write_text("int helper(int x);\n")
    codes = [
        '#include "helper.h"\nint main(void) { return helper(1); }\n',  # links only with the library
        NO_MAIN,  # valid, does not link
        "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", undeclared); return 0; }\n",  # invalid
        "#include <no_such_header.h>\n",  # invalid at its first line
        '#error "@@seccodegen-link@@"\n',  # prints what was once the compile-then-link job's own mark
        "int main(void) { return 0; }",  # no newline at the end
    ]
    sources = []
    for i, code in enumerate(codes):
        sources.append(tmp_path / f"s{i}.c")
        sources[-1].write_text(code)
    gcc = get_compiler("c")
    alone = [gcc.check(s, (f"-I{support}",), ("-lm",), 60.0) for s in sources]
    assert [v.valid for v in alone] == [True, True, False, False, False, True]
    assert [v.links for v in alone] == [False, False, None, None, None, True]
    assert gcc.check_many(sources, (f"-I{support}",), ("-lm",), 60.0) == alone


@needs_gcc
def test_a_program_whose_time_runs_out_in_a_shared_job_is_checked_alone(tmp_path: Path) -> None:
    sources = []
    for i in range(2):  # preprocessing ~2^24 tokens takes gcc seconds, far past a 0.5 s limit
        sources.append(tmp_path / f"s{i}.c")
        sources[-1].write_text(
            "#define A(x) x x\n#define B(x) A(A(A(A(x))))\n#define C(x) B(B(B(B(x))))\n"
            f"#define D(x) C(C(C(x)))\nint v{i} = 0 D(+ 1);\n"
        )
    gcc = get_compiler("c")
    results = gcc.check_many(sources, (), (), 0.5)
    assert [(v.valid, v.status) for v in results] == [(False, "timeout")] * 2
    assert results == [gcc.check(s, (), (), 0.5) for s in sources]
