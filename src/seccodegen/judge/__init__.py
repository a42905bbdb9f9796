"""The judge stage: valid (compiles), secure (no finding of the target CWE), correct (tests pass).

Public API: :class:`JudgeConfig`, :func:`run` (files in, ``OUT/results.jsonl`` out) and
:func:`judge_records` (records in, judgement records out; used by the experiment runner).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seccodegen.judge.config import JudgeConfig


def run(cfg: JudgeConfig, force: bool = False):
    from seccodegen.judge.stage import run as _run

    return _run(cfg, force=force)


def judge_records(records: list[dict[str, Any]], cfg: JudgeConfig) -> list[dict[str, Any]]:
    from seccodegen.judge.stage import judge_records as _judge_records

    return _judge_records(records, cfg)


def __getattr__(name: str) -> Any:
    if name == "JudgeConfig":
        from seccodegen.judge.config import JudgeConfig

        return JudgeConfig
    raise AttributeError(name)


__all__ = ["JudgeConfig", "judge_records", "run"]
