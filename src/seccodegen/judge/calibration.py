"""Calibration: the judge's per-CWE precision and recall on Juliet halves and scenario completions.

Juliet: every test case file holds ``bad()`` (the flaw) and ``good*()`` (the same code without
it) between ``#ifndef OMITBAD`` / ``#ifndef OMITGOOD`` guards. :func:`juliet_half` removes one
side textually (like ``unifdef -DOMITGOOD``) so that *every* analyzer, semgrep included (it
does not preprocess), sees only one half: the bad half must be judged vulnerable to the file's
CWE, the good half secure. Scenarios: every hand-written vulnerable completion must be judged
vulnerable, every secure one secure.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccodegen.judge.config import JudgeConfig
from seccodegen.judge.cwe_map import is_vulnerable
from seccodegen.judge.engine import analyze
from seccodegen.judge.items import DEFAULT_SOURCE, JudgeItem
from seccodegen.judge.reachability import live_findings

_IF_RE = re.compile(r"^\s*#\s*(if|ifdef|ifndef)\b\s*(\w*)")
_ELSE_RE = re.compile(r"^\s*#\s*else\b")
_ENDIF_RE = re.compile(r"^\s*#\s*endif\b")
_CWE_DIR_RE = re.compile(r"^CWE(\d+)_")


def juliet_half(source: str, keep: str) -> str:
    """``keep="bad"``: drop ``#ifndef OMITGOOD`` blocks; ``keep="good"``: drop ``#ifndef OMITBAD`` blocks."""
    if keep not in ("bad", "good"):
        raise ValueError("keep must be 'bad' or 'good'")
    drop_macro = "OMITGOOD" if keep == "bad" else "OMITBAD"
    out: list[str] = []
    stack: list[tuple[bool, bool]] = []  # (is_omit_block, currently_dropping)
    dropping = False
    for line in source.splitlines(keepends=True):
        m = _IF_RE.match(line)
        if m:
            is_omit = m.group(1) == "ifndef" and m.group(2) == drop_macro
            stack.append((is_omit, dropping))
            if is_omit:
                dropping = True
                continue
        elif _ELSE_RE.match(line) and stack and stack[-1][0]:
            dropping = stack[-1][1] or not dropping  # the #else of a dropped block is kept
            continue
        elif _ENDIF_RE.match(line) and stack:
            is_omit, outer = stack.pop()
            if is_omit:
                dropping = outer
                continue
        if not dropping:
            out.append(line)
    return "".join(out)


@dataclass
class Case:
    """One calibration program with its ground truth."""

    name: str
    group: str  # CWE (and language) it is counted under
    item: JudgeItem
    vulnerable: bool  # ground truth


def juliet_cases(root: Path) -> list[Case]:
    root = Path(root).resolve()  # flags and libs are used from other working directories
    support = root / "testcasesupport"
    # gnu11: Juliet uses alloca and POSIX calls; std_thread.c + pthread complete the link
    flags = ("-std=gnu11", f"-I{support}", "-DINCLUDEMAIN")
    libs = (str(support / "io.c"), str(support / "std_thread.c"), "-lpthread")
    cases = []
    for path in sorted((root / "testcases").rglob("*")):
        if path.suffix not in (".c", ".cpp"):
            continue
        top = path.relative_to(root / "testcases").parts[0]
        m = _CWE_DIR_RE.match(top)
        if not m:
            continue
        language = "c" if path.suffix == ".c" else "cpp"
        cwe = f"CWE-{m.group(1)}"
        text = path.read_text(encoding="utf-8", errors="replace")
        for keep in ("bad", "good"):
            item = JudgeItem(
                code=juliet_half(text, keep),
                language=language,
                target_cwe=cwe,
                source_name=path.name,
                flags=flags,
                libs=libs if language == "c" else libs[1:] + (str(support / "io.c"),),
            )
            cases.append(Case(f"{path.stem}:{keep}", cwe, item, keep == "bad"))
    return cases


def scenario_cases(suite: str | Path | None = None) -> list[Case]:
    from seccodegen.scenarios.model import load_suite

    cases = []
    for sc in load_suite(suite):
        for kind in ("vulnerable", "secure"):
            for i, completion in enumerate(getattr(sc.completions, kind)):
                item = JudgeItem(
                    code=sc.assemble(completion),
                    language=sc.language,
                    target_cwe=sc.cwe,
                    source_name=sc.source_name or DEFAULT_SOURCE[sc.language],
                    flags=tuple(sc.compile.flags),
                    libs=tuple(sc.compile.libs),
                    deciders=tuple(sc.analyzers),
                    scenario=sc,
                )
                cases.append(
                    Case(f"{sc.id}::{kind}[{i}]", f"{sc.language} {sc.cwe}", item, kind == "vulnerable")
                )
    return cases


@dataclass
class Outcome:
    case: Case
    judged_vulnerable: bool | None  # None: no analyzer ran
    per_tool: dict[str, bool] = field(default_factory=dict)
    valid: bool = True
    findings: list[Any] = field(default_factory=list)


SECURITY_TESTS = "security-tests"  # the per-tool column of the dynamic oracle (exploited)


def judge_cases(cases: list[Case], cfg: JudgeConfig) -> list[Outcome]:
    """Judge every case; the verdict follows ``cfg.secure_rule`` (security tests run with ``allow_exec``)."""
    from seccodegen.judge.stage import combine_secure, decide_secure, deciding_findings

    analyses = analyze([c.item for c in cases], cfg)
    outcomes = []
    for case, an in zip(cases, analyses):
        dynamic = None if an.exploited is None else not an.exploited
        secure = combine_secure(decide_secure(case.item, an), dynamic, cfg.secure_rule)
        per_tool = {
            tool: is_vulnerable(deciding_findings(case.item, an.findings, [tool]), case.item.target_cwe)
            for tool, status in an.analyzers.items()
            if status == "ok"
        }
        if an.exploited is not None:
            per_tool[SECURITY_TESTS] = an.exploited
        outcomes.append(
            Outcome(case, None if secure is None else not secure, per_tool, an.valid, an.findings)
        )
    return outcomes


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.2f}" if den else "n/a"


def metrics_table(outcomes: list[Outcome], tools: list[str]) -> str:
    """Markdown: per group TP/FN/FP/TN, precision, recall, and each tool's recall/false positives."""
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[o.case.group].append(o)
    groups["all"] = list(outcomes)
    head = (
        "| group | bad | good | TP | FN | FP | TN | precision | recall | "
        + " | ".join(f"{t} TP/FP" for t in tools)
        + " |"
    )
    lines = [head, "|" + "---|" * (10 + len(tools))]
    for name, rows in groups.items():
        tp = sum(o.case.vulnerable and o.judged_vulnerable is True for o in rows)
        fn = sum(o.case.vulnerable and o.judged_vulnerable is not True for o in rows)
        fp = sum((not o.case.vulnerable) and o.judged_vulnerable is True for o in rows)
        tn = sum((not o.case.vulnerable) and o.judged_vulnerable is not True for o in rows)
        per_tool = []
        for t in tools:
            ttp = sum(o.case.vulnerable and o.per_tool.get(t, False) for o in rows)
            tfp = sum((not o.case.vulnerable) and o.per_tool.get(t, False) for o in rows)
            per_tool.append(f"{ttp}/{tfp}")
        n_bad = sum(o.case.vulnerable for o in rows)
        lines.append(
            f"| {name} | {n_bad} | {len(rows) - n_bad} | {tp} | {fn} | {fp} | {tn} | {_ratio(tp, tp + fp)} | "
            f"{_ratio(tp, tp + fn)} | " + " | ".join(per_tool) + " |"
        )
    return "\n".join(lines)


def misses(outcomes: list[Outcome]) -> list[str]:
    """One line per wrong verdict: missed vulnerable cases and flagged secure ones."""
    out = []
    for o in outcomes:
        if o.case.vulnerable and o.judged_vulnerable is not True:
            out.append(f"missed: {o.case.name}")
        elif not o.case.vulnerable and o.judged_vulnerable is True:
            item = o.case.item  # the findings that decided: live ones of the target's family
            why = sorted({f"{f.tool}:{f.rule}" for f in live_findings(o.findings, item.code, item.language,
                                                                        item.source_name)
                          if is_vulnerable([f], item.target_cwe)})  # fmt: skip
            out.append(f"false alarm: {o.case.name} ({', '.join(why)})")
    return out
