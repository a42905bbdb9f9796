"""seccodegen.judge.rerun: analyzers run again on judged records (the rest of with_rerun is
covered through scripts/rejudge_security_tests.py --analyzers)."""

from __future__ import annotations

import shutil

import pytest

from seccodegen.judge.rerun import rerun_analyzers


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_rerun_keeps_records_apart_when_cells_repeat_ids() -> None:
    pytest.importorskip("tree_sitter_c")
    head = "#include <stdio.h>\nint main(int argc, char **argv) {\n"
    record = {"id": "c/x::baseline::0", "language": "c", "cwe": "CWE-732", "valid": True}
    records = [
        {**record, "code": head + '    FILE *f = fopen("out.txt", "w");\n    return f == NULL;\n}\n'},
        {**record, "code": head + '    FILE *f = fopen("out.txt", "r");\n    return f == NULL;\n}\n'},
    ]
    found = rerun_analyzers(records, "seccodegen-checks", jobs=1)
    assert [f["rule"] for f in found[0].findings] == ["default-permission-creation"]
    assert found[1].findings == [] and found[1].statuses == {"seccodegen-checks": "ok"}
