"""``HumanEvalConfig``: the HumanEval-X C++ run (imports nothing heavy)."""

from __future__ import annotations

from dataclasses import dataclass, field

from seccodegen.models.specs import MODEL_HELP


@dataclass(frozen=True)
class HumanEvalConfig:
    data: str = field(metadata={"help": "humaneval_cpp.jsonl(.gz): task_id, prompt, declaration, test"})
    model: str | None = field(
        default=None, metadata={"help": f"model to evaluate: {MODEL_HELP} (none with canonical=true)"}
    )
    adapter: str | None = field(default=None, metadata={"help": "peft adapter folder"})
    out: str = field(default="humaneval", metadata={"help": "output directory"})
    n: int = field(default=10, metadata={"help": "samples per task (the study: 10)"})
    temperature: float = field(default=0.8, metadata={"help": "sampling temperature"})
    top_p: float = field(default=0.95, metadata={"help": "nucleus sampling mass"})
    max_new_tokens: int = field(default=384, metadata={"help": "tokens per completion (function bodies)"})
    seed: int = field(default=0, metadata={"help": "sampling seed"})
    backend: str = field(default="hf", metadata={"help": "sample engine backend"})
    dtype: str | None = field(default=None, metadata={"help": "model dtype (None: engine default)"})
    tasks_per_batch: int = field(default=16, metadata={"help": "tasks generated per engine call"})
    limit: int | None = field(default=None, metadata={"help": "only the first N tasks (quick runs)"})
    canonical: bool = field(default=False, metadata={"help": "run the canonical solutions (harness check)"})
    allow_exec: bool | str = field(
        default=False, metadata={"help": "consent to execute generated code ('unsafe': without bubblewrap)"}
    )
    jobs: int | None = field(default=None, metadata={"help": "parallel compile/run workers (default: cores)"})

    def __post_init__(self) -> None:
        if isinstance(self.allow_exec, str) and self.allow_exec != "unsafe":
            raise ValueError(f"allow_exec must be true, false or 'unsafe', got {self.allow_exec!r}")
        if self.n < 1:
            raise ValueError("n must be >= 1")
        if not self.canonical and not self.model:
            raise ValueError("model is required unless canonical=true")
        if not 0 < self.top_p <= 1:
            raise ValueError("top_p must be in (0, 1]")
