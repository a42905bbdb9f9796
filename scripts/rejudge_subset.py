"""Judge again the samples of one CWE (or scenario prefix) in finished judge steps, and put the new
verdicts in place of the old ones.

For a judge step whose environment got some samples wrong for a reason outside the samples (e.g.
a GPU machine whose sandbox could not see sqlite3.h, so every CWE-89 program was "invalid"):
this judges just those samples again, here, with the step's own settings, and rewrites the
step's results.jsonl. The old file is kept beside it as results.before-rejudge.jsonl and the
step's manifest.json gets a ``rejudged`` entry (filter, count, reason, this git SHA), so a reader
can tell which verdicts came from where.

    python scripts/rejudge_subset.py runs/secure-tuning/judge/*/ --cwe CWE-89 \\
        --reason "the GPU machine's sandbox did not show sqlite3.h to the compiler"
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
from pathlib import Path

from seccodegen.artifacts import code_provenance
from seccodegen.judge.config import JudgeConfig
from seccodegen.judge.stage import run as judge


def matches(record: dict, cwe: str | None, scenario_prefix: str | None) -> bool:
    if cwe and record.get("cwe") != cwe:
        return False
    return not scenario_prefix or str(record.get("scenario_id", "")).startswith(scenario_prefix)


def rejudge(step: Path, cwe: str | None, scenario_prefix: str | None, reason: str, jobs: int) -> int:
    manifest_path = step / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("status") != "finished":
        raise SystemExit(f"{step}: the judge step is not finished; run it first")
    results_path = step / "results.jsonl"
    results = [json.loads(line) for line in results_path.read_text().splitlines() if line.strip()]
    wanted = {r["id"] for r in results if matches(r, cwe, scenario_prefix)}
    if not wanted:
        return 0
    fields = {f.name for f in dataclasses.fields(JudgeConfig)}
    settings = {k: v for k, v in manifest["config"].items() if k in fields}
    samples = Path(settings["samples"])
    with tempfile.TemporaryDirectory(prefix="rejudge-") as tmp:
        subset = Path(tmp) / "samples.jsonl"
        kept = [line for line in samples.read_text().splitlines() if line.strip() and json.loads(line)["id"] in wanted]
        subset.write_text("\n".join(kept) + "\n")
        cfg = JudgeConfig(**{**settings, "samples": str(subset), "out": str(Path(tmp) / "out"), "jobs": jobs})
        judge(cfg)
        new = {r["id"]: r for r in map(json.loads, (Path(cfg.out) / "results.jsonl").read_text().splitlines())}
    missing = wanted - new.keys()
    if missing:
        raise SystemExit(f"{step}: {len(missing)} samples got no new verdict (e.g. {sorted(missing)[0]}); nothing changed")
    backup = step / "results.before-rejudge.jsonl"
    if not backup.exists():
        shutil.copyfile(results_path, backup)
    merged = [new.get(r["id"], r) for r in results]
    results_path.write_text("".join(json.dumps(r) + "\n" for r in merged))
    sha = code_provenance()[0]
    manifest.setdefault("rejudged", []).append(
        {"cwe": cwe, "scenario_prefix": scenario_prefix, "records": len(wanted), "reason": reason, "git_sha": sha}
    )
    for key, test in (("secure", lambda r: r["secure"] is True), ("vulnerable", lambda r: r["secure"] is False),
                      ("valid", lambda r: bool(r["valid"])), ("exploited", lambda r: r["exploited"] is True)):
        manifest.setdefault("outputs", {})[key] = sum(map(test, merged))
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return len(wanted)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("steps", nargs="+", type=Path, help="finished judge step folders")
    ap.add_argument("--cwe", help="judge again the samples of this CWE, e.g. CWE-89")
    ap.add_argument("--scenario-prefix", help="... or of the scenarios whose id starts with this, e.g. c/cwe-89/")
    ap.add_argument("--reason", required=True, help="why the old verdicts were wrong (kept in the manifest)")
    ap.add_argument("--jobs", type=int, default=0, help="parallel tool processes (0: all cores)")
    args = ap.parse_args()
    if not (args.cwe or args.scenario_prefix):
        ap.error("give --cwe or --scenario-prefix")
    for step in args.steps:
        n = rejudge(step, args.cwe, args.scenario_prefix, args.reason, args.jobs)
        print(f"{step}: {n} samples judged again", file=sys.stderr)


if __name__ == "__main__":
    main()
