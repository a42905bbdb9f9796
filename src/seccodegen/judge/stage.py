"""The judge stage's core: ``judge_records`` (records in, judgements out) and ``run`` (files)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from seccodegen.artifacts import open_artifact
from seccodegen.errors import InputError
from seccodegen.findings import Finding
from seccodegen.inputs import check_file, iter_lines, parse_json
from seccodegen.inputs.structured import ParseError
from seccodegen.judge.config import JudgeConfig
from seccodegen.judge.cwe_map import is_vulnerable
from seccodegen.judge.engine import Analysis, analyze
from seccodegen.judge.items import JudgeItem, RecordError, item_from_record, load_scenarios
from seccodegen.judge.reachability import live_findings
from seccodegen.judge.sarif import write_sarif
from seccodegen.records import BadLine, write_jsonl

SCHEMA_VERSION = 1


def decide_secure(item: JudgeItem, analysis: Analysis) -> bool | None:
    """secure = no deciding finding maps to the target CWE family; None when no deciding analyzer ran.

    Deciding analyzers are the scenario's ``analyzers`` list, else every analyzer that applies.
    A missing, crashed or timed-out analyzer is not "ok" and so never makes a sample secure.
    Findings inside a static function the whole program never names do not decide
    (:mod:`seccodegen.judge.reachability`).
    """
    return static_verdict(item, analysis.findings, analysis.analyzers)


def static_verdict(item: JudgeItem, findings: list[Finding], statuses: dict[str, str]) -> bool | None:
    """:func:`decide_secure` from the findings and each analyzer's status (``{name: "ok"|...}``)."""
    deciding = [n for n in statuses if not item.deciders or n in item.deciders]
    if is_vulnerable(deciding_findings(item, findings, deciding), item.target_cwe):
        return False
    if not any(statuses[n] == "ok" for n in deciding):
        return None
    return True


def deciding_findings(item: JudgeItem, findings: list[Finding], tools: list[str]) -> list[Finding]:
    """The findings of ``tools`` that may decide: those in code the program can run."""
    return live_findings([f for f in findings if f.tool in tools], item.code, item.language, item.source_name)


def combine_secure(static: bool | None, dynamic: bool | None, rule: str) -> bool | None:
    """``secure`` under ``rule`` (see ``JudgeConfig.secure_rule``).

    ``both``: insecure when either oracle says so; secure when neither does and at least one
    answered (a scenario without security tests, or a run without --allow-exec, is judged by its
    analyzers alone, as before security tests existed); None when neither answered.
    """
    if rule == "static":
        return static
    if rule == "dynamic":
        return dynamic
    if static is False or dynamic is False:
        return False
    return True if (static or dynamic) else None


def judgement(
    record: dict[str, Any], item: JudgeItem, analysis: Analysis, secure_rule: str = "both"
) -> dict[str, Any]:
    out = dict(record)  # every input field is kept
    secure_static = decide_secure(item, analysis)
    secure_dynamic = None if analysis.exploited is None else not analysis.exploited
    out.update(
        record="judgement",
        schema_version=record.get("schema_version", SCHEMA_VERSION),
        language=item.language,
        cwe=item.target_cwe,
        valid=analysis.valid,
        compile_error=analysis.compile_error,
        links=analysis.links,
        link_error=analysis.link_error,
        secure=combine_secure(secure_static, secure_dynamic, secure_rule),
        secure_static=secure_static,
        secure_dynamic=secure_dynamic,
        exploited=analysis.exploited,
        correct=None if analysis.tests is None else analysis.tests["passed"],
        tests=analysis.tests,
        security_tests=_with_spec_hash(analysis.security_tests, item),
        findings=[f.to_dict() for f in analysis.findings],
        analyzers=dict(sorted(analysis.analyzers.items())),
        code_sha256=item.code_sha256,
    )
    if analysis.compiler_status not in ("ok",):
        out["compile_error"] = out["compile_error"] or f"compiler {analysis.compiler_status}"
    return out


def _with_spec_hash(security_tests: dict[str, Any] | None, item: JudgeItem) -> dict[str, Any] | None:
    """The security tests' summary with ``spec_sha256``: the hash of the tests that made it, so a
    later change of them finds this record stale (scripts/rejudge_security_tests.py)."""
    if security_tests is None or item.scenario is None:
        return security_tests
    from seccodegen.scenarios.testing import security_spec_hash  # lazy: the scenarios stage is optional

    return {**security_tests, "spec_sha256": security_spec_hash(item.scenario)}


def judge_records(records: list[dict[str, Any]], cfg: JudgeConfig) -> list[dict[str, Any]]:
    """Judge project ``sample`` records or external ``{id, language, cwe, code}`` records.

    Raises :class:`RecordError` naming the first record that cannot be judged.
    """
    scenarios = _scenarios(records, cfg)
    items = []
    for i, rec in enumerate(records):
        try:
            items.append(item_from_record(rec, scenarios))
        except RecordError as exc:
            raise RecordError(f"record {i + 1}: {exc}") from None
    analyses = analyze(items, cfg)
    warn_missing_deciders(items, analyses)
    return [judgement(r, it, an, cfg.secure_rule) for r, it, an in zip(records, items, analyses)]


def missing_deciders(items: list[JudgeItem], analyses: list[Analysis]) -> list[str]:
    """Deciding analyzers that were ``missing`` (not installed) for at least one sample, sorted."""
    missing = set()
    for item, analysis in zip(items, analyses):
        for name, status in analysis.analyzers.items():
            if status == "missing" and (not item.deciders or name in item.deciders):
                missing.add(name)
    return sorted(missing)


def warn_missing_deciders(items: list[JudgeItem], analyses: list[Analysis]) -> None:
    """One warning line when samples were judged without an analyzer that should have decided."""
    missing = missing_deciders(items, analyses)
    if missing:
        print(
            f"warning: analyzer(s) not installed, samples were judged without them: {', '.join(missing)} "
            "(install them on PATH or in this Python environment's bin/)",
            file=sys.stderr,
        )


def _scenarios(records: list[dict[str, Any]], cfg: JudgeConfig) -> dict[str, Any]:
    needed = any(isinstance(r, dict) and r.get("scenario_id") for r in records)
    return load_scenarios(cfg.scenarios, needed)


def run(cfg: JudgeConfig, force: bool = False) -> Path:
    """Judge ``cfg.samples`` into ``cfg.out``: results.jsonl (input order), results.sarif, bad_lines.jsonl.

    A malformed line is reported (file:line on stderr and in bad_lines.jsonl) and skipped; every
    other line gets its result. Re-running after an interrupt resumes: finished work is cached.
    """
    if not cfg.samples or not cfg.out:
        raise InputError("judge needs an input SAMPLES.jsonl and --out DIR")
    samples = check_file(cfg.samples, "a JSONL file of samples")
    art = open_artifact(
        cfg.out, "judge", cfg, schema_version=SCHEMA_VERSION, inputs={"samples": samples}, force=force
    )
    bad: list[BadLine] = []
    numbered = _read_numbered(samples, bad)
    if art.resumed:  # the verdicts of finished programs are cached: only the rest is judged again
        print(f"judge: resuming: {len(numbered)} samples; finished programs come from the cache", file=sys.stderr)
    scenarios = _scenarios([r for _, r in numbered], cfg)
    good: list[tuple[dict[str, Any], JudgeItem]] = []
    for lineno, rec in numbered:
        unknown = _unknown_scenario(rec, scenarios)
        if unknown:
            bad.append(BadLine(str(samples), lineno, unknown))
            continue
        try:
            good.append((rec, item_from_record(rec, scenarios)))
        except RecordError as exc:
            bad.append(BadLine(str(samples), lineno, str(exc)))
    for b in sorted(bad, key=lambda b: b.line):
        print(f"warning: {b.path}:{b.line}: {b.reason}; line skipped", file=sys.stderr)
    analyses = analyze([it for _, it in good], cfg)
    warn_missing_deciders([it for _, it in good], analyses)
    results = [judgement(rec, it, an, cfg.secure_rule) for (rec, it), an in zip(good, analyses)]
    n = write_jsonl(art.file("results.jsonl"), results)
    write_sarif(art.file("results.sarif"), results)
    write_jsonl(
        art.file("bad_lines.jsonl"), [{"path": b.path, "line": b.line, "reason": b.reason} for b in bad]
    )
    art.finish(
        {
            "results.jsonl": n,
            "bad_lines": len(bad),
            "secure": sum(r["secure"] is True for r in results),
            "vulnerable": sum(r["secure"] is False for r in results),
            "valid": sum(bool(r["valid"]) for r in results),
            "exploited": sum(r["exploited"] is True for r in results),
        }
    )
    return art.path / "results.jsonl"


def _read_numbered(path: Path, bad: list[BadLine]) -> list[tuple[int, dict[str, Any]]]:
    """``[(line number, record)]``; lines that are not UTF-8 JSON objects with well-typed fields go
    to ``bad`` (never fatal). A damaged gzip or a file with no line at all is an InputError."""
    out: list[tuple[int, dict[str, Any]]] = []
    lines = 0
    for line in iter_lines(path, "a JSONL file of samples"):
        if line.text is not None and not line.text.strip():
            continue
        lines += 1
        try:
            if line.error:
                raise ParseError(line.error)
            obj = parse_json(line.text or "")
            if not isinstance(obj, dict):
                raise ParseError("not a JSON object")
            problem = _field_problem(obj)
            if problem:
                raise ParseError(problem)
        except ParseError as exc:
            bad.append(BadLine(str(path), line.number, str(exc)))
            continue
        out.append((line.number, obj))
    if not lines:
        raise InputError(f"{path} holds no records; pass a JSONL file with one sample per line")
    return out


# fields the judge reads, and the JSON types each may have (None = may be null or absent)
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "id": (str, int),
    "scenario_id": (str, type(None)),
    "code": (str,),
    "language": (str, type(None)),
    "cwe": (str, int, type(None)),
}


def _field_problem(rec: dict[str, Any]) -> str | None:
    for name, types in _FIELD_TYPES.items():
        value = rec.get(name)
        if name in rec and (not isinstance(value, types) or isinstance(value, bool)):
            allowed = " or ".join("null" if t is type(None) else {"str": "a string", "int": "an integer"}[t.__name__] for t in types)
            return f"field {name!r} must be {allowed}, got {json.dumps(value)[:60]}"
    return None


def _unknown_scenario(rec: dict[str, Any], scenarios: dict[str, Any]) -> str | None:
    sid = rec.get("scenario_id")
    if sid and sid not in scenarios:
        return (
            f"unknown scenario_id {sid!r} (not in the scenario suite); pass --scenarios DIR, or drop the "
            "field to judge the record as external code"
        )
    return None
