"""Run again only the security tests of judged samples whose scenarios' security tests changed,
and recompute ``exploited``, ``secure_dynamic`` and ``secure``; validity, static findings,
``secure_static`` and the unit tests are kept.

    # finished judge steps of an experiment (their own scenario suite, secure_rule and allow_exec):
    python scripts/rejudge_security_tests.py runs/secure-tuning/judge/*/ \\
        --reason "security tests assert only the attack's effect"
    # a judged .jsonl(.gz) file (no manifest: say --allow-exec, and --scenarios / --secure-rule
    # where the judge used others than the defaults):
    python scripts/rejudge_security_tests.py qwen-coder-1.5b-base-baseline.judged.jsonl.gz \\
        --allow-exec --reason "..." --jobs 2

Which samples: the valid ones of scenarios with security tests whose record's
``security_tests.spec_sha256`` differs from the scenario's security tests today (the hash covers
the tests, the sanitized build and how a run is read; records judged before the judge kept it
count as changed), and only of the ``--scenario`` ids when given. Identical programs of one
scenario run once. Samples the sandbox stopped at a time limit are reported; they may be the
machine's load.

With ``--analyzers a,b`` the static half is judged again instead: those analyzers run again on
every valid sample (of the ``--scenario`` ids, when given) with today's code (their findings and statuses replace the recorded ones, the
other analyzers' stay) and ``secure_static`` and ``secure`` are decided again; the security tests'
results are kept. This brings cells judged before an analyzer changed level with later ones:

    python scripts/rejudge_security_tests.py docs/results/secure-tuning/samples/*.judged.jsonl.gz \
        --analyzers seccodegen-checks,seccodegen-dataflow --reason "dataflow queries, round 5" --jobs 2

What it writes: the input in place, the old one kept beside it once (``results.before-security-
rejudge.jsonl``, or ``NAME.before-security-rejudge.jsonl[.gz]``); for a judge step, a ``rejudged``
entry in its manifest.json (kind, scenarios, count, reason, git SHA) and the output counts, as
scripts/rejudge_subset.py does. Prints one line per input: exploited and secure (among valid
samples) before -> after.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seccodegen.artifacts import code_provenance
from seccodegen.errors import SeccodegenError
from seccodegen.interrupt import stoppable_pool
from seccodegen.judge.config import SECURE_RULES, default_jobs
from seccodegen.judge.items import load_scenarios
from seccodegen.judge.rerun import rerun_analyzers, with_rerun
from seccodegen.judge.stage import combine_secure
from seccodegen.progress import progress_bar
from seccodegen.records import read_jsonl, write_jsonl
from seccodegen.runner.core import RESTORED_MARK
from seccodegen.sandbox import require_exec_allowed
from seccodegen.scenarios.model import Scenario, load_suite
from seccodegen.scenarios.testing import run_security_tests, security_spec_hash

BACKUP_TAG = ".before-security-rejudge"
ANALYZER_BACKUP_TAG = ".before-analyzer-rejudge"


@dataclass(frozen=True)
class Settings:
    """How the input was judged: the suite, the rule for ``secure``, consent to execute."""

    scenarios: str | None
    secure_rule: str
    allow_exec: bool | str


def stale(record: dict[str, Any], suite: dict[str, Scenario], only: set[str] | None) -> bool:
    """Must this record's security tests run again?"""
    scenario = suite.get(record.get("scenario_id") or "")
    if scenario is None or not scenario.security_tests or record.get("valid") is not True:
        return False
    if only is not None and scenario.id not in only:
        return False
    kept = (record.get("security_tests") or {}).get("spec_sha256")
    return kept != security_spec_hash(scenario)


@dataclass(frozen=True)
class SecurityVerdict:
    """One program's new security-test result."""

    exploited: bool | None  # None: the sanitized build failed
    summary: dict[str, Any]  # the record's security_tests
    timed_out: bool  # a run stopped at a time limit (maybe the machine's load)


def run_security(
    records: list[dict[str, Any]], suite: dict[str, Scenario], jobs: int
) -> dict[tuple[str, str], SecurityVerdict]:
    """``{(scenario id, code sha256): verdict}``, each distinct program run once."""
    programs: dict[tuple[str, str], str] = {}
    for rec in records:
        programs.setdefault((rec["scenario_id"], code_sha(rec)), rec["code"])
    out: dict[tuple[str, str], SecurityVerdict] = {}

    def work(key: tuple[str, str]) -> tuple[tuple[str, str], Any]:
        return key, run_security_tests(suite[key[0]], programs[key])

    with (
        progress_bar("rejudge: security tests", len(programs), "programs") as advance,
        stoppable_pool(jobs) as pool,
    ):
        for key, outcome in pool.map(work, sorted(programs)):
            summary = {
                "passed": bool(outcome.passed), "n_passed": outcome.n_passed, "n_total": outcome.n_total,
                "failures": outcome.failure_summary(), "spec_sha256": security_spec_hash(suite[key[0]]),
            }  # fmt: skip
            exploited = None if outcome.compile_error else not outcome.passed
            out[key] = SecurityVerdict(exploited, summary, any(r.timed_out for r in outcome.results))
            advance(1)
    return out


def code_sha(record: dict[str, Any]) -> str:
    return hashlib.sha256(record["code"].encode("utf-8", "surrogatepass")).hexdigest()


def apply(record: dict[str, Any], verdict: SecurityVerdict, rule: str) -> dict[str, Any]:
    """The record with the new security verdict (``secure_static`` kept: it decides with it)."""
    dynamic = None if verdict.exploited is None else not verdict.exploited
    return {
        **record,
        "exploited": verdict.exploited,
        "secure_dynamic": dynamic,
        "security_tests": verdict.summary,
        "secure": combine_secure(record["secure_static"], dynamic, rule),
    }


def counts(records: list[dict[str, Any]]) -> dict[str, int]:
    valid = [r for r in records if r.get("valid")]
    return {
        "valid": len(valid),
        "exploited": sum(r.get("exploited") is True for r in records),
        "secure": sum(r.get("secure") is True for r in valid),
        "decided": sum(r.get("secure") is not None for r in valid),
    }


def rejudge(records: list[dict[str, Any]], settings: Settings, only: set[str] | None, jobs: int):
    """(new records, ids judged again, programs stopped at a time limit)."""
    require_exec_allowed(settings.allow_exec)
    suite = {s.id: s for s in load_suite(settings.scenarios, require_test_data=False)}
    todo = [r for r in records if stale(r, suite, only)]
    for rec in todo:
        if "secure_static" not in rec:
            raise SystemExit(
                f"record {rec.get('id')!r} has no secure_static: judge it again with `seccodegen judge`"
            )
    verdicts = run_security(todo, suite, jobs) if todo else {}
    wanted = {r["id"] for r in todo}
    new = [
        apply(rec, verdicts[(rec["scenario_id"], code_sha(rec))], settings.secure_rule)
        if rec["id"] in wanted
        else rec
        for rec in records
    ]
    return new, wanted, sum(v.timed_out for v in verdicts.values())


def rejudge_static(records: list[dict[str, Any]], settings: Settings, only: set[str] | None, analyzers: str,
                   jobs: int, cache_dir: str | None) -> tuple[list[dict[str, Any]], set[str]]:
    """(new records, ids judged again): ``analyzers`` run again on the valid records (of the
    ``only`` scenario ids when given)."""
    todo = [i for i, r in enumerate(records)
            if r.get("valid") is True and (only is None or r.get("scenario_id") in only)]  # fmt: skip
    fresh = rerun_analyzers([records[i] for i in todo], analyzers, jobs, cache_dir)
    scenarios = load_scenarios(settings.scenarios, needed=True)
    new = list(records)
    for i, again in zip(todo, fresh):
        new[i] = with_rerun(records[i], again, scenarios, settings.secure_rule)
    return new, {records[i]["id"] for i in todo}


def backup_path(path: Path, tag: str = BACKUP_TAG) -> Path:
    name = path.name
    for ext in (".jsonl.gz", ".jsonl"):
        if name.endswith(ext):
            return path.with_name(name[: -len(ext)] + tag + ext)
    return path.with_name(name + tag)


def _step_settings(step: Path) -> tuple[dict, Settings]:
    manifest = json.loads((step / "manifest.json").read_text())
    if manifest.get("status") != "finished":
        raise SystemExit(f"{step}: the judge step is not finished; run it first")
    config = manifest["config"]
    if not config.get("allow_exec"):
        raise SystemExit(
            f"{step}: judged without --allow-exec, so no security test ran; judge it with --allow-exec"
        )
    return manifest, Settings(
        config.get("scenarios"), config.get("secure_rule", "both"), config["allow_exec"]
    )


def process(target: Path, args: argparse.Namespace) -> str:
    only = set(args.scenario) if args.scenario else None
    if target.is_dir() and not (target / "manifest.json").is_file():
        if not (target / RESTORED_MARK).is_file() or not (target / "results.jsonl").is_file():
            raise SeccodegenError(f"{target}: not a judge step folder (no manifest.json)")
        # put back from published samples (scripts/published_samples.py restore): no manifest,
        # so it is judged again like a judged file, with the flags' settings
        manifest, results_path = None, target / "results.jsonl"
        settings = Settings(args.scenarios, args.secure_rule, args.allow_exec)
    elif target.is_dir():
        manifest, settings = _step_settings(target)
        results_path = target / "results.jsonl"
    else:
        manifest, results_path = None, target
        settings = Settings(args.scenarios, args.secure_rule, args.allow_exec)
    records = read_jsonl(results_path)
    before = counts(records)
    if args.analyzers:
        new, wanted = rejudge_static(records, settings, only, args.analyzers, args.jobs or default_jobs(),
                                     args.cache_dir)
        timed_out = 0
    else:
        new, wanted, timed_out = rejudge(records, settings, only, args.jobs or default_jobs())
    after = counts(new)
    if wanted:
        backup = backup_path(results_path, ANALYZER_BACKUP_TAG if args.analyzers else BACKUP_TAG)
        if not backup.exists():
            shutil.copyfile(results_path, backup)
        write_jsonl(results_path, new)
    if manifest is not None and wanted:
        scenarios = sorted({r["scenario_id"] for r in records if r["id"] in wanted})
        manifest.setdefault("rejudged", []).append({
            "kind": f"analyzers: {args.analyzers}" if args.analyzers else "security_tests",
            "scenarios": scenarios, "records": len(wanted), "reason": args.reason, "git_sha": code_provenance()[0],
        })  # fmt: skip
        manifest.setdefault("outputs", {}).update(
            exploited=after["exploited"],
            secure=sum(r["secure"] is True for r in new),
            vulnerable=sum(r["secure"] is False for r in new),
        )
        (target / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")

    def ratio(c: dict[str, int]) -> str:
        return (
            f"{c['secure']}/{c['decided']} ({100 * c['secure'] / c['decided']:.1f}%)"
            if c["decided"]
            else "0/0"
        )

    note = f"; {timed_out} programs stopped at a time limit" if timed_out else ""
    return (f"{target}: {len(wanted)} samples judged again{note}; exploited {before['exploited']} -> "
            f"{after['exploited']}; secure among valid {ratio(before)} -> {ratio(after)}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "inputs", nargs="+", type=Path, help="finished judge step folders or judged .jsonl(.gz) files"
    )
    ap.add_argument("--reason", required=True, help="why the security tests changed (kept in the manifest)")
    ap.add_argument("--scenario", action="append", help="only these scenario ids (repeatable)")
    ap.add_argument("--jobs", type=int, default=0, help="parallel programs (0: all cores)")
    ap.add_argument("--scenarios", help="judged files: the suite they were judged with (default: built-in)")
    ap.add_argument(
        "--secure-rule", default="both", choices=SECURE_RULES, help="judged files: the rule for secure"
    )
    ap.add_argument("--allow-exec", nargs="?", const=True, default=False,
                    help="judged files: run the samples in the sandbox ('unsafe': rlimits only)")  # fmt: skip
    ap.add_argument("--analyzers", default="",
                    help="judge these analyzers again (comma-separated) instead of the security tests")
    ap.add_argument("--cache-dir", default=None, help="--analyzers: the judge's result cache")
    args = ap.parse_args()
    if args.allow_exec not in (True, False, "unsafe"):
        ap.error("--allow-exec takes no value or 'unsafe'")
    for target in args.inputs:
        if not target.exists():
            ap.error(f"{target} does not exist: give a judge step folder or a judged .jsonl(.gz) file")
        try:
            print(process(target, args), file=sys.stderr)
        except SeccodegenError as exc:
            raise SystemExit(f"error: {exc}") from None


if __name__ == "__main__":
    main()
