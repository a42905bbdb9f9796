"""Precompiled opening blocks: same validity and findings as a plain compile, built only when shared."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from seccodegen.judge.analyzers import get_analyzer
from seccodegen.judge.compilers import get_compiler
from seccodegen.judge.prefix_headers import GCC_MIN_PROGRAMS, PrefixHeaders, leading_includes
from seccodegen.sandbox import bwrap_problem

needs_gxx = pytest.mark.skipif(
    shutil.which("g++") is None or bwrap_problem() is not None, reason="g++ or the sandbox is missing"
)

BLOCK = "// a prompt\n#include <iostream>\n#include <string>\n"
# -Wall's -Wuninitialized and -O2's -Warray-bounds must come out the same with the block precompiled
WARNS = BLOCK + """
int main() {
    int unset;
    int a[4] = {0, 1, 2, 3};
    std::string name;
    std::cin >> name;
    std::cout << a[5] << unset << name << std::endl;
    return 0;
}
"""
BROKEN = BLOCK + "int main() { std::strin x; return 0; }\n"


def test_leading_includes_stops_at_the_first_other_line() -> None:
    block = "/* c */\n#define _GNU_SOURCE\n#include <stdio.h>\n\n#include <stdlib.h> // x\n"
    assert leading_includes(block + "int x;\n#include <string.h>\n") == block
    assert leading_includes('#include "local.h"\n#include <stdio.h>\n') == ""
    assert leading_includes("int main(void) { return 0; }\n") == ""


def _programs(tmp_path: Path, codes: list[str]) -> list[Path]:
    paths = []
    for i, code in enumerate(codes):
        p = tmp_path / f"s{i}.cpp"
        p.write_text(code)
        paths.append(p)
    return paths


def test_only_blocks_enough_programs_share_are_precompiled(tmp_path: Path) -> None:
    codes = [WARNS] * GCC_MIN_PROGRAMS + ["#include <vector>\n"] * (GCC_MIN_PROGRAMS - 1)
    programs = [("cpp", c) for c in codes] + [("c", "#include <stdio.h>\n")] * GCC_MIN_PROGRAMS
    headers = PrefixHeaders(tmp_path / "pch", programs)
    assert headers.shared("cpp", leading_includes(WARNS), GCC_MIN_PROGRAMS)
    assert not headers.shared("cpp", "#include <vector>\n", GCC_MIN_PROGRAMS)
    c_file = tmp_path / "s.c"
    c_file.write_text("#include <stdio.h>\n")
    assert headers.gcc_header(["gcc", "-std=c11"], "c", c_file) is None  # C headers parse in a few ms


@needs_gxx
def test_compile_and_warnings_are_those_of_a_plain_compile(tmp_path: Path) -> None:
    codes = [WARNS, BROKEN, WARNS.replace("a[5]", "a[6]"), BLOCK + "int main() { return 0; }\n"]
    paths = _programs(tmp_path, codes)
    headers = PrefixHeaders(tmp_path / "pch", [("cpp", c) for c in codes] * GCC_MIN_PROGRAMS)
    compiler = get_compiler("cpp")
    for p in paths:
        assert compiler.check(p, (), (), 60.0, prefix_headers=headers) == compiler.check(p, (), (), 60.0)
    assert list((tmp_path / "pch" / "gcc").glob("*/prefix.hpp.gch")), "the block was not precompiled"
    warnings = get_analyzer("gcc-warnings")
    plain = warnings.run(paths, "cpp", 120.0)
    assert warnings.run(paths, "cpp", 120.0, prefix_headers=headers) == plain
    rules = {f.rule for f in plain[paths[0]]}
    assert {"-Wmaybe-uninitialized", "-Warray-bounds"} <= rules, rules


@needs_gxx
def test_a_block_gcc_has_something_to_say_about_is_not_precompiled(tmp_path: Path) -> None:
    # the flags define WITH_LOG as 2, the block as empty: gcc warns "redefined" at line 1
    code = "#define WITH_LOG\n#include <string>\nint main() { return 0; }\n"
    paths = _programs(tmp_path, [code] * GCC_MIN_PROGRAMS)
    headers = PrefixHeaders(tmp_path / "pch", [("cpp", code)] * GCC_MIN_PROGRAMS)
    assert headers.gcc_header(["g++", "-std=c++17", "-DWITH_LOG=2"], "cpp", paths[0]) is None
    assert headers.gcc_header(["g++", "-std=c++17"], "cpp", paths[0]) is not None


@pytest.mark.skipif(bwrap_problem() is not None, reason="the sandbox is missing")
def test_dataflow_batches_share_their_precompiled_headers(tmp_path: Path) -> None:
    from seccodegen.judge.dataflow import frontend

    if not frontend.available():
        pytest.skip("libclang not installed")
    code = BLOCK + "#include <cstdlib>\nint main() { char *p = (char *)malloc(4); p[0] = 1; free(p); }\n"
    paths = _programs(tmp_path, [code, code.replace("p[0] = 1", "p[1] = 2")])
    headers = PrefixHeaders(tmp_path / "pch", [("cpp", code)] * 2)
    dataflow = get_analyzer("seccodegen-dataflow")
    plain = dataflow.run(paths, "cpp", 120.0)
    first = dataflow.run(paths[:1], "cpp", 120.0, prefix_headers=headers)
    assert first == {paths[0]: plain[paths[0]]}
    assert [p.suffix for p in sorted(headers.libclang_folder().iterdir())] == [".hpp", ".pch"]
    assert dataflow.run(paths, "cpp", 120.0, prefix_headers=headers) == plain  # the second batch reuses it
    assert plain[paths[0]] and plain[paths[0]][0].rule == "null-deref"
