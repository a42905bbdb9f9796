"""SARIF 2.1.0 export of the judge's findings: one run per tool, results located in the sample."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seccodegen import __version__

LEVEL = {"error": "error", "warning": "warning", "note": "note"}


def to_sarif(results: list[dict[str, Any]]) -> dict[str, Any]:
    runs: dict[str, dict[str, Any]] = {}
    for rec in results:
        for f in rec.get("findings", []):
            run = runs.setdefault(
                f["tool"], {"tool": {"driver": {"name": f["tool"], "rules": {}}}, "results": []}
            )
            run["tool"]["driver"]["rules"].setdefault(
                f["rule"], {"id": f["rule"], "properties": {"cwe": f["cwe_ids"]}}
            )
            region = {"startLine": f["line"]} if f.get("line") else {}
            if f.get("line") and f.get("column"):
                region["startColumn"] = f["column"]
            run["results"].append(
                {
                    "ruleId": f["rule"],
                    "level": LEVEL.get(f.get("severity", "warning"), "warning"),
                    "message": {"text": f.get("message", "")},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": f"{rec['id']}/{f.get('file', '')}"},
                                **({"region": region} if region else {}),
                            }
                        }
                    ],
                    "properties": {"sample_id": rec["id"], "cwe": f["cwe_ids"], "target_cwe": rec.get("cwe")},
                }
            )
    out_runs = []
    for run in runs.values():
        run["tool"]["driver"]["rules"] = list(run["tool"]["driver"]["rules"].values())
        out_runs.append(run)
    if not out_runs:
        out_runs.append(
            {"tool": {"driver": {"name": "seccodegen-judge", "version": __version__}}, "results": []}
        )
    return {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": out_runs}


def write_sarif(path: Path, results: list[dict[str, Any]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(to_sarif(results), indent=1), encoding="utf-8")
    tmp.replace(path)
