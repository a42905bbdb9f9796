"""The report built from fixed results equals the golden files (regenerate: make golden)."""


import pytest
from typer.testing import CliRunner

from seccodegen.cli import app
from seccodegen.report.golden import FIXTURES, GOLDEN_FILES, build


def test_report_matches_golden_files(tmp_path):
    out = build(tmp_path / "report")
    for name in GOLDEN_FILES:
        assert (out / name).read_text() == (FIXTURES / "golden" / name).read_text(), (
            f"{name} differs from its golden file; if the change is intended run `make golden`"
        )
    assert (out / "cwe_secure_c.png").stat().st_size > 1000
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "C and C++ (Tables 3 and 6)" in html


def test_report_cli_smoke_and_refuses_overwrite(tmp_path):
    runner = CliRunner()
    args = ["report", str(FIXTURES / "results.csv"), "--out", str(tmp_path / "r")]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r" / "report.md").is_file() and (tmp_path / "r" / "manifest.json").is_file()
    assert "valid = compiles" in res.output and "secure&correct" in res.output  # the headline lines
    again = runner.invoke(app, args)
    assert again.exit_code != 0
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0


def test_missing_results_is_one_line_error(tmp_path):
    from seccodegen.errors import InputError
    from seccodegen.report.core import ReportConfig, run

    with pytest.raises(InputError, match="no results table"):
        run(ReportConfig(results=str(tmp_path), out=str(tmp_path / "o")))
