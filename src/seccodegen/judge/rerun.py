"""Run some analyzers again on judged samples, and the static verdict they give with today's code.

A judged record keeps every analyzer's findings and status. When one analyzer changes (a new
dataflow query, a fixed rule), published cells judged before the change are brought level with
later ones by running only that analyzer again: its findings and status replace the recorded ones,
the others stay, and ``secure_static`` and ``secure`` are decided again by the judge's own rules
(:func:`seccodegen.judge.stage.static_verdict`, :func:`~seccodegen.judge.stage.combine_secure`).
Used by scripts/rejudge_security_tests.py (``--analyzers``) and scripts/static_vs_exploit.py.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seccodegen.findings import Finding
from seccodegen.judge.items import item_from_record
from seccodegen.judge.stage import combine_secure, static_verdict
from seccodegen.records import read_jsonl, write_jsonl


@dataclass(frozen=True)
class Rerun:
    """One record's findings of the analyzers run again, and their statuses (``ok``, ``timeout``, ...)."""

    findings: list[dict[str, Any]]
    statuses: dict[str, str]


def rerun_analyzers(
    records: list[dict[str, Any]], analyzers: str, jobs: int, cache_dir: str | None = None
) -> list[Rerun]:
    """``analyzers`` (comma-separated) run again on each of ``records`` (``seccodegen judge
    --analyzers ...`` into a temporary folder), in their order: files of several cells repeat ids,
    so each record travels under its position. Invalid records are not analysed (empty result)."""
    if not records:  # nothing to judge (a cell with no valid sample): the judge refuses an empty file
        return []
    tools = set(analyzers.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "samples.jsonl"
        write_jsonl(src, [{**r, "id": str(i)} for i, r in enumerate(records)])
        cmd = [sys.executable, "-m", "seccodegen", "judge", str(src), "--out", str(Path(tmp) / "out"),
               "--analyzers", analyzers, "--jobs", str(jobs), "--set", "analyze_invalid=false"]  # fmt: skip
        if cache_dir:
            cmd += ["--cache-dir", cache_dir]
        subprocess.run(cmd, check=True)
        out = [Rerun([], {}) for _ in records]
        for r in read_jsonl(Path(tmp) / "out" / "results.jsonl"):
            out[int(r["id"])] = Rerun(
                [f for f in r.get("findings") or [] if f.get("tool") in tools],
                {k: v for k, v in (r.get("analyzers") or {}).items() if k in tools},
            )
        return out


def with_rerun(record: dict[str, Any], fresh: Rerun, scenarios: dict, rule: str) -> dict[str, Any]:
    """The record with ``fresh`` in place of those analyzers' recorded findings and statuses, and
    ``secure_static``/``secure`` decided again (``secure_dynamic`` kept). A record the rerun did not
    analyse (invalid) is returned unchanged."""
    if not fresh.statuses:
        return record
    findings = [f for f in record.get("findings") or [] if f.get("tool") not in fresh.statuses] + fresh.findings
    statuses = {**(record.get("analyzers") or {}), **fresh.statuses}
    item = item_from_record(record, scenarios)
    static = static_verdict(item, [Finding.from_dict(f) for f in findings], statuses)
    return {
        **record,
        "findings": findings,
        "analyzers": dict(sorted(statuses.items())),
        "secure_static": static,
        "secure": combine_secure(static, record.get("secure_dynamic"), rule),
    }
