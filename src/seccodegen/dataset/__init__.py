"""The dataset stage: vulnerability-fix commits -> file/function/block/line fine-tuning sets.

``from seccodegen.dataset.build import DatasetConfig, run``; see docs/dataset.md.
"""

from pathlib import Path

# A dozen small synthetic C fix commits (vulnfix-jsonl format) for the demo and smoke tests.
DEMO_COMMITS = Path(__file__).resolve().parent / "demo_data" / "commits.jsonl"

__all__ = ["DEMO_COMMITS"]
