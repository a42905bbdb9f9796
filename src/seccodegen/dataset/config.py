"""``DatasetConfig``: which corpora to read and how to cut, filter and split them."""

from __future__ import annotations

from dataclasses import dataclass, field

from seccodegen.dataset.granularity import GRANULARITIES
from seccodegen.dataset.languages import LANGUAGES
from seccodegen.dataset.readers import READERS
from seccodegen.errors import ConfigError
from seccodegen.findings import normalise_cwe


@dataclass(frozen=True)
class SourceSpec:
    format: str = field(metadata={"help": "reader name: " + ", ".join(READERS.names())})
    path: str = field(default="", metadata={"help": "file or directory the reader reads"})

    def __post_init__(self) -> None:
        if self.format not in READERS:
            raise ConfigError(f"unknown source format {self.format!r}; known: {', '.join(READERS.names())}")
        if not self.path:
            raise ConfigError(f"source {self.format!r} has no path; write it as FORMAT:PATH")


@dataclass(frozen=True)
class DatasetConfig:
    sources: tuple[SourceSpec, ...] = field(
        default=(), metadata={"help": "corpora to read, in priority order"}
    )
    out: str = field(default="", metadata={"help": "output dataset directory"})
    granularities: tuple[str, ...] = field(
        default=GRANULARITIES, metadata={"help": "file, function, block, line"}
    )
    languages: tuple[str, ...] = field(
        default=(), metadata={"help": "keep only these languages (empty: all)"}
    )
    cwe: tuple[str, ...] = field(
        default=(),
        metadata={"help": "keep only commits with one of these CWEs (119, cwe-119 and CWE-119 all work)"},
    )
    sizes: tuple[int, ...] = field(
        default=(), metadata={"help": "nested subsets of n commits, e.g. [100, 200]"}
    )
    seed: int = field(default=0, metadata={"help": "seed of the split and the size subsets"})
    val_fraction: float = field(default=0.1, metadata={"help": "fraction of files (not examples) in val"})
    exclude_overlap_with: str | None = field(
        default=None, metadata={"help": "scenario suite dir: drop examples sharing an n-gram with a prompt"}
    )
    ngram: int = field(default=10, metadata={"help": "n of the contamination n-grams (code tokens)"})
    max_file_bytes: int = field(default=1_000_000, metadata={"help": "skip files larger than this (bytes)"})
    links: tuple[str, ...] = field(
        default=(),
        metadata={
            "help": "BigVul-style link CSVs (codeLink, CVE ID, CWE ID): add CVE/CWE ids, pick git commits"
        },
    )
    include_tests: bool = field(default=False, metadata={"help": "keep files under test directories"})
    dedupe_text: bool = field(
        default=True, metadata={"help": "drop an example whose text repeats at its granularity"}
    )
    workers: int = field(default=0, metadata={"help": "worker processes (0: one per CPU core)"})

    def __post_init__(self) -> None:
        bad = [g for g in self.granularities if g not in GRANULARITIES]
        if bad or not self.granularities:
            raise ConfigError(
                f"granularities must be a non-empty subset of {list(GRANULARITIES)}, got {bad or '[]'}"
            )
        bad = [x for x in self.languages if x not in LANGUAGES]
        if bad:
            raise ConfigError(f"languages must be among {list(LANGUAGES)}, got {bad}")
        try:
            object.__setattr__(self, "cwe", tuple(normalise_cwe(c) for c in self.cwe))
        except ValueError as exc:
            raise ConfigError(f"cwe filter: {exc}; write ids like CWE-119") from None
        if any(n <= 0 for n in self.sizes):
            raise ConfigError(f"sizes must be positive commit counts, got {list(self.sizes)}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ConfigError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if self.ngram < 1:
            raise ConfigError(f"ngram must be >= 1, got {self.ngram}")
        if self.max_file_bytes <= 0 or self.workers < 0:
            raise ConfigError("max_file_bytes must be > 0 and workers >= 0")
