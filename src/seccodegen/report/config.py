"""``ReportConfig``: which results to report, where, and how (imports no pandas)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReportConfig:
    results: str = field(metadata={"help": "results table (.parquet/.csv/.jsonl) or a `run` experiment dir"})
    out: str = field(default="report", metadata={"help": "output directory"})
    humaneval: str | None = field(
        default=None, metadata={"help": "per-task HumanEval rows (coords, task_id, n, c)"}
    )
    title: str = field(default="seccodegen report", metadata={"help": "page title"})
    notes: tuple[str, ...] = field(
        default=(), metadata={"help": "lines shown under the title (model caveats)"}
    )
    plots: bool = field(default=True, metadata={"help": "draw per-CWE PNGs"})

    def __post_init__(self) -> None:
        if not self.results:
            raise ValueError("results must name a results file or an experiment directory")
