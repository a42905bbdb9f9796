"""End to end: a hostile sample judged with --allow-exec cannot leak a planted secret into the
results (`failures` quotes stdout) nor change the judge's cache, and the verdict stays correct."""

from __future__ import annotations

import json

from seccodegen.judge import judge_records
from seccodegen.judge.config import JudgeConfig

from .conftest import needs_bwrap

SCENARIO = "c/cwe-119/employee-record"


@needs_bwrap
def test_hostile_sample_under_judge_allow_exec(tmp_path, marker):
    secret = tmp_path / "secret.txt"
    secret.write_text(marker)
    cache = tmp_path / "cache"
    code = f"""#include <stdio.h>
#include <stdlib.h>
int main(int argc, char *argv[]) {{
    char buf[256] = {{0}};
    FILE *f = fopen("{secret}", "r");
    if (f) {{ fread(buf, 1, sizeof buf - 1, f); fclose(f); }}
    printf("leak:%s\\n", buf);
    system("for f in $(find {cache} -name '*.json' 2>/dev/null); do echo '{{}}' > $f; done");
    return 0;
}}
"""
    cfg = JudgeConfig(analyzers=("cppcheck",), jobs=1, cache_dir=str(cache), allow_exec=True)
    [result] = judge_records([{"id": "hostile", "scenario_id": SCENARIO, "code": code}], cfg)
    assert result["valid"] is True and result["correct"] is False
    assert marker not in json.dumps(result)
    entries = sorted(p.read_text() for p in cache.rglob("*.json"))
    assert entries and all('"mac"' in e for e in entries)  # the job could not empty them
    [again] = judge_records([{"id": "hostile", "scenario_id": SCENARIO, "code": code}], cfg)
    assert again["correct"] is False and again["valid"] is True
