"""gcc/g++ at -O2 with the overflow/bounds/format warnings that find CWE-787/119/134/416."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from seccodegen.findings import Finding
from seccodegen.judge.analyzers.base import ANALYZERS
from seccodegen.judge.analyzers.gcc_common import gcc_available, gcc_version, run_gcc_batch
from seccodegen.judge.prefix_headers import PrefixHeaders

# -O2: the bounds/overflow warnings need the optimiser's value ranges.
OPTIONS = (
    "-O2", "-Wall", "-Wformat=2", "-Wformat-overflow=2", "-Wstringop-overflow=4",
    "-Warray-bounds=2", "-Wuse-after-free=3", "-Wno-unused", "-Wno-format-truncation",
)  # fmt: skip


@ANALYZERS.register("gcc-warnings")
class GccWarnings:
    name = "gcc-warnings"
    languages = ("c", "cpp")
    batch_size = 20
    uses_prefix_headers = True  # C++ files compile against the run's precompiled opening blocks

    def version(self) -> str:
        return gcc_version("c") + " " + " ".join(OPTIONS)

    def available(self) -> bool:
        return gcc_available()

    def run(
        self, files: list[Path], language: str, timeout: float, flags: Sequence[str] = (),
        prefix_headers: PrefixHeaders | None = None,
    ) -> dict[Path, list[Finding]]:
        return run_gcc_batch(self.name, files, language, OPTIONS, flags, timeout, prefix_headers)
