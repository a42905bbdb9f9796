"""The scenarios stage: security scenario suites (data files), their loader, prompt styles,
completion splicing and functional tests. Format: docs/scenarios.md."""

from pathlib import Path

BUILTIN_SUITE = Path(__file__).parent / "suite"  # suite/<language>/<cwe-n>/<slug>.yaml
EXAMPLE_PROMPTS = Path(__file__).parent / "examples" / "my_prompts.jsonl"  # an evaluation-only suite (docs/scenarios.md)
