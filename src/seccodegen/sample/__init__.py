"""The sample stage: N completions per (scenario, prompt style), batched, seeded, resumable.

``run(SampleConfig) -> Path`` writes ``OUT/samples.jsonl`` (schema: docs/architecture.md);
``make_engine(...)`` gives the sampling engine on its own (HumanEval uses it).
"""

from seccodegen.sample.config import SampleConfig
from seccodegen.sample.engine import ENGINES, Completion, Engine, make_engine
from seccodegen.sample.stage import run

__all__ = ["ENGINES", "Completion", "Engine", "SampleConfig", "make_engine", "run"]
