"""HumanEval-X C++ pass@k (RQ4 of the study) and task-by-task Fisher comparisons."""

from seccodegen.humaneval.core import HumanEvalConfig, run

__all__ = ["HumanEvalConfig", "run"]
