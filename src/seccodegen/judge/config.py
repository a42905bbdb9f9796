"""JudgeConfig: what to judge, where to write, which analyzers, how parallel, where to cache."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

SECURE_RULES = ("static", "dynamic", "both")
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "seccodegen" / "judge"


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass(frozen=True)
class JudgeConfig:
    samples: str = field(
        default="", metadata={"help": "Input JSONL: sample records or external {id, language, cwe, code}."}
    )
    out: str = field(
        default="", metadata={"help": "Output directory (results.jsonl, results.sarif, manifest.json)."}
    )
    allow_exec: bool | str = field(
        default=False,
        metadata={
            "help": "Run the scenario's unit tests and security tests on valid samples (executes model "
            "output in a sandbox); 'unsafe': also where bubblewrap cannot run (rlimits only)."
        },
    )
    scenarios: str | None = field(
        default=None, metadata={"help": "Scenario suite dir or .jsonl prompt file; None = the built-in suite."}
    )
    analyzers: tuple[str, ...] = field(
        default=(), metadata={"help": "Analyzer names to run; empty = every registered one not marked off by default."}
    )
    jobs: int = field(default=0, metadata={"help": "Parallel tool processes; 0 = all cores."})
    cache_dir: str | None = field(
        default=None,
        metadata={"help": "Result cache dir (content-addressed); None = $XDG_CACHE_HOME/seccodegen/judge "
                  "(~/.cache/seccodegen/judge where XDG_CACHE_HOME is unset)."},
    )
    use_cache: bool = field(default=True, metadata={"help": "Read cached results (they are always written)."})
    analyzer_timeout_s: float = field(
        default=60.0,
        metadata={"help": "Seconds per file an analyzer may take (a batch gets n times this + 30)."},
    )
    compile_timeout_s: float = field(default=60.0, metadata={"help": "Seconds per compiler call."})
    analyze_invalid: bool = field(
        default=True,
        metadata={"help": "Run the analyzers on programs that do not compile too (False: only valid "
                  "ones; the invalid ones get secure=null, which the report's secure ratio never counts)."},
    )
    secure_rule: str = field(
        default="both",
        metadata={"help": "What 'secure' means: 'static' (no deciding analyzer finding), 'dynamic' (no "
                  "security test exploited it; needs --allow-exec) or 'both' (neither; where only one "
                  "of the two has an answer, that one decides). Records keep secure_static and "
                  "secure_dynamic either way."},
    )

    def __post_init__(self) -> None:
        if isinstance(self.allow_exec, str) and self.allow_exec != "unsafe":
            raise ValueError(f"allow_exec must be true, false or 'unsafe', got {self.allow_exec!r}")
        if self.secure_rule not in SECURE_RULES:
            raise ValueError(
                f"secure_rule must be one of {', '.join(SECURE_RULES)}, got {self.secure_rule!r}"
            )
        if self.jobs < 0:
            raise ValueError("jobs must be >= 0 (0 = all cores)")
        if self.analyzer_timeout_s <= 0 or self.compile_timeout_s <= 0:
            raise ValueError("timeouts must be > 0 seconds")
        from seccodegen.judge.analyzers import ANALYZERS

        for name in self.analyzers:
            if name not in ANALYZERS:
                raise ValueError(f"unknown analyzer {name!r}; known: {', '.join(ANALYZERS.names())}")

    @property
    def n_jobs(self) -> int:
        return self.jobs or default_jobs()

    @property
    def cache_path(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else DEFAULT_CACHE
