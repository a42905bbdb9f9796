"""gcc's static analyzer (``-fanalyzer``): use-after-free, double free, NULL dereference, leaks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from seccodegen.findings import Finding
from seccodegen.judge.analyzers.base import ANALYZERS
from seccodegen.judge.analyzers.gcc_common import gcc_available, gcc_version, run_gcc_batch
from seccodegen.judge.analyzers.repeated_lookup import NAMED, rechecked_lookup

NULL_RULES = ("-Wanalyzer-null-dereference", "-Wanalyzer-null-argument")
# Plain warnings are gcc-warnings' job (and filtered out below); -w would also silence the analyzer.
OPTIONS = (
    "-O0",
    "-fanalyzer",
    "-Wno-all",
    "-Wno-unused",
    "-Wno-format",
    "-Wno-implicit-function-declaration",
)


@ANALYZERS.register("gcc-analyzer")
class GccAnalyzer:
    name = "gcc-analyzer"
    languages = ("c",)  # gcc 12's analyzer does not support C++ (and takes seconds per file on it)
    batch_size = 20

    def version(self) -> str:
        # the filter's revision is part of the version: cached results from before it are not reused
        return gcc_version("c") + " " + " ".join(OPTIONS) + " rechecked-lookup-filter:1"

    def available(self) -> bool:
        return gcc_available()

    def run(
        self, files: list[Path], language: str, timeout: float, flags: Sequence[str] = ()
    ) -> dict[Path, list[Finding]]:
        found = run_gcc_batch(self.name, files, language, OPTIONS, flags, timeout)
        # keep only the analyzer's own diagnostics, less NULL reports about a lookup already tested
        return {
            p: [f for f in fs if f.rule.startswith("-Wanalyzer") and not _rechecked(p, f)]
            for p, fs in found.items()
        }


def _rechecked(path: Path, finding: Finding) -> bool:
    """A NULL report about the result of a lookup (``strchr``...) that the same call tested."""
    named = NAMED.search(finding.message) if finding.rule in NULL_RULES and finding.line else None
    if named is None:
        return False
    try:
        source = path.read_text(errors="replace")
    except OSError:
        return False
    return rechecked_lookup(source, named.group(1), finding.line)
