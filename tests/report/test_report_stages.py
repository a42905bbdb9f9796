"""Reports of stages run one by one (sample -> judge -> report) and of awkward results tables."""

import html as html_lib
import json
import re

import pandas as pd
import pytest

from seccodegen.errors import InputError
from seccodegen.report.core import ReportConfig, run
from seccodegen.report.golden import FIXTURES


def _judged(tmp_path):
    adapter = tmp_path / "lora-run"
    adapter.mkdir()
    manifest = {"stage": "train", "status": "finished", "config": {"method": "lora", "granularity": "block"}}
    (adapter / "manifest.json").write_text(json.dumps(manifest))
    rows = []
    for adapter_path, secure in ((None, [True, False, False]), (str(adapter), [True, True, False])):
        model = {"spec": "/models/qwen-0.5b", "adapter": adapter_path, "name": "qwen-0.5b"}
        for i, ok in enumerate(secure):
            rows.append({"id": f"{adapter_path}{i}", "scenario_id": f"c/cwe-787/s{i}", "language": "c",
                         "cwe": "CWE-787", "prompt_style": "baseline", "sample_index": i, "valid": True,
                         "secure": ok, "correct": None, "model": model})  # fmt: skip
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_stage_by_stage_results_show_model_names_and_methods(tmp_path):
    page = run(ReportConfig(results=str(_judged(tmp_path)), out=str(tmp_path / "r"), plots=False))
    study = pd.read_csv(page.parent / "tables" / "study_c_cpp.csv")
    assert sorted(zip(study["model"], study["method"], study["granularity"])) == [
        ("qwen-0.5b", "base", "-"), ("qwen-0.5b", "lora", "block")
    ]
    md = (page.parent / "report.md").read_text()
    assert "{" not in md.split("## ", 1)[1]  # no dict anywhere in the tables
    assert "## C (Table 3)" in md and "C++" not in md and "Python" not in md  # only languages present


def test_empty_results_file_is_one_clear_line(tmp_path):
    empty = tmp_path / "results.jsonl"
    empty.write_text("")
    with pytest.raises(InputError, match="results table is empty"):
        run(ReportConfig(results=str(empty), out=str(tmp_path / "r")))


def test_per_cwe_table_fits_a_1400px_window(tmp_path):
    page = run(ReportConfig(results=str(FIXTURES / "results.csv"), out=str(tmp_path / "r"), plots=False))
    html = page.read_text()
    table = html[html.index("Secure ratio per CWE"):]
    table = table[table.index("<table>"):table.index("</table>") + 8]
    rows = [re.findall(r"<t[hd]>(.*?)</t[hd]>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", table)]
    widest = [max(len(html_lib.unescape(row[i])) for row in rows) for i in range(len(rows[0]))]
    # 13px system-ui: about 7.5 px per character, plus 12 px padding and 1 px border per column
    width = sum(7.5 * chars + 13 for chars in widest)
    assert len(rows) > 5 and width <= 1400, f"per-CWE table is about {width:.0f} px wide"
    assert len(pd.read_csv(page.parent / "tables" / "per_cwe.csv").columns) > len(widest)  # all counts kept
