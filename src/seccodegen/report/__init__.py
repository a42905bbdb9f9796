"""The report stage: the study's tables, per-CWE plots and Fisher tests."""

from seccodegen.report.core import ReportConfig, run

__all__ = ["ReportConfig", "run"]
