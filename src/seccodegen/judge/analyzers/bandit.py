"""bandit for Python: one process per batch, JSON output; its CWE ids are used as reported."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from seccodegen.findings import Finding
from seccodegen.judge.analyzers.base import ANALYZERS, AnalyzerCrash, resolve, run_tool, tool_version, which
from seccodegen.judge.cwe_map import bandit_decisive, map_rule


@ANALYZERS.register("bandit")
class Bandit:
    name = "bandit"
    languages = ("python",)
    batch_size = 200

    def version(self) -> str:
        return tool_version(("bandit", "--version"))

    def available(self) -> bool:
        return which("bandit") is not None

    def run(
        self, files: list[Path], language: str, timeout: float, flags: Sequence[str] = ()
    ) -> dict[Path, list[Finding]]:
        by_name = resolve(files)
        proc = run_tool(["bandit", "-f", "json", "-q", *[str(f.resolve()) for f in files]], timeout)
        try:
            data = json.loads(proc.stdout)
        except json.JSONDecodeError:
            raise AnalyzerCrash(f"bandit exited {proc.returncode}: {proc.stderr.strip()[-300:]}") from None
        out: dict[Path, list[Finding]] = {}
        for res in data.get("results", []):
            path = by_name.get(res["filename"])
            if path is None:
                continue
            cwe = (res.get("issue_cwe") or {}).get("id")
            rule = res["test_id"]
            severity = res.get("issue_severity", "LOW")
            cwes = map_rule(self.name, rule, res.get("issue_text", ""), [cwe] if cwe else [])
            out.setdefault(path, []).append(
                Finding(
                    tool=self.name,
                    rule=rule,
                    message=f"{res.get('test_name', '')}: {res.get('issue_text', '')}",
                    line=res.get("line_number"),
                    column=res.get("col_offset"),
                    file=str(path),
                    cwe_ids=cwes if bandit_decisive(rule, severity) else (),
                    severity={"HIGH": "error", "MEDIUM": "warning"}.get(severity, "note"),
                )
            )
        return out
