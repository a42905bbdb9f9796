"""Shared by the query tests: write a snippet after a header and run one query on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccodegen.judge.dataflow.queries import run_queries

C_HEADERS = "#include <ctype.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
CPP_HEADERS = "#include <cctype>\n#include <cstdint>\n#include <cstring>\n#include <string>\n#include <vector>\n"


@pytest.fixture
def query_hits(tmp_path: Path):
    """``query_hits(rule, code, language)``: the rule's hits on ``code`` (C or C++ headers first)."""

    def run(rule: str, code: str, language: str = "c") -> list:
        path = tmp_path / ("t.cpp" if language == "cpp" else "t.c")
        path.write_text((CPP_HEADERS if language == "cpp" else C_HEADERS) + code)
        return run_queries(path, language, ["-std=c++17" if language == "cpp" else "-std=gnu17"], [rule])

    return run
