"""Regenerate the report's golden files: ``python -m seccodegen.report.golden`` (or ``make golden``).

Builds the report from the fixed fixture results in tests/fixtures/report/ and copies the
Markdown and CSV outputs into tests/fixtures/report/golden/. Review the diff before committing.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from seccodegen.report.core import ReportConfig, run

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "report"
GOLDEN_FILES = ("report.md", "tables/study_c_cpp.csv", "tables/study_python_java.csv", "tables/ratios.csv",
                "tables/per_cwe.csv", "tables/humaneval.csv")


def build(out: Path) -> Path:
    cfg = ReportConfig(
        results=str(FIXTURES / "results.csv"),
        humaneval=str(FIXTURES / "humaneval.csv"),
        out=str(out),
        title="golden report",
        notes=("Fixed fixture results for the golden-file test.",),
    )
    run(cfg, force=True)
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = build(Path(tmp) / "report")
        golden = FIXTURES / "golden"
        for name in GOLDEN_FILES:
            (golden / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(out / name, golden / name)
            print(f"wrote {golden / name}")


if __name__ == "__main__":
    main()
