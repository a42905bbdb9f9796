"""Analyzers: one module per tool, each registered in :data:`ANALYZERS` at import."""

from seccodegen.judge.analyzers import (  # noqa: F401  (import = registration)
    bandit,
    clang_tidy,
    cppcheck,
    dataflow,
    framac_eva,
    gcc_analyzer,
    gcc_warnings,
    semgrep,
    source_checks,
)
from seccodegen.judge.analyzers.base import (
    ANALYZERS,
    Analyzer,
    AnalyzerCrash,
    IncompleteFindings,
    get_analyzer,
)

__all__ = ["ANALYZERS", "Analyzer", "AnalyzerCrash", "IncompleteFindings", "get_analyzer"]
