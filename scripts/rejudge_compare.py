"""Compare two judgements of the same samples: an older judge's and a re-judgement by the current one.

Prints Markdown, per language: the valid ratio (valid / all samples) and the secure ratio
(secure / valid samples that were decided) of each judgement; for the new one also its
static-only, dynamic-only (security tests) and combined secure ratios, the static-only ratio with
only the analyzers the old judgement ran (what the new analyzers add), how often static and
dynamic agree, and how often old and new agree; then what the exploited samples' first failing
security test reported (a sanitizer report, a crash or timeout, or an unmet expectation such as
the output the attack must not change), split by whether the sample passes its unit tests.
Records are matched by ``id``.

    seccodegen judge OLD.judged.jsonl.gz --out NEW --allow-exec --set analyze_invalid=false
    python scripts/rejudge_compare.py OLD.judged.jsonl.gz NEW/results.jsonl
"""

from __future__ import annotations

import argparse
from pathlib import Path

from seccodegen.findings import Finding
from seccodegen.judge.cwe_map import is_vulnerable
from seccodegen.records import read_jsonl
from seccodegen.report.stats import Ratio
from seccodegen.report.tables import LANGUAGE_NAMES


def pct(r: Ratio) -> str:
    """``"644/877 (73.4%)"``."""
    return f"{r.k}/{r.n} ({100 * r.value:.1f}%)" if r.n else "0/0"


def load(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in read_jsonl(path)}


def static_with(record: dict, analyzers: set[str]) -> bool | None:
    """``secure_static`` as if only ``analyzers`` had run (the judge's rule: a finding of the
    target CWE family from one of them is insecure; null when none of them ran "ok")."""
    ran = {n for n, status in record["analyzers"].items() if n in analyzers}
    findings = [Finding.from_dict(f) for f in record["findings"] if f["tool"] in ran]
    if is_vulnerable(findings, record["cwe"]):
        return False
    return True if any(record["analyzers"][n] == "ok" for n in ran) else None


def secure_ratio(records: list[dict], field: str) -> Ratio:
    """secure / valid samples decided by ``field`` (a column, or a function of the record)."""
    values = [field(r) if callable(field) else r[field] for r in records if r["valid"]]
    decided = [v for v in values if v is not None]
    return Ratio(sum(bool(v) for v in decided), len(decided))


def agreement(pairs: list[tuple[bool | None, bool | None]]) -> tuple[Ratio, int, int]:
    """Share of pairs (both decided) with the same verdict; (ratio, first-only secure, second-only secure)."""
    both = [(a, b) for a, b in pairs if a is not None and b is not None]
    same = sum(a == b for a, b in both)
    return Ratio(same, len(both)), sum(a and not b for a, b in both), sum(b and not a for a, b in both)


def language_rows(old: dict[str, dict], new: dict[str, dict], language: str) -> list[tuple[str, str, str]]:
    ids = sorted(i for i in old.keys() & new.keys() if new[i]["language"] == language)
    o, n = [old[i] for i in ids], [new[i] for i in ids]
    old_analyzers = {name for r in o for name in r.get("analyzers", {})}
    rows = [
        ("valid", pct(Ratio(sum(bool(r["valid"]) for r in o), len(o))),
         pct(Ratio(sum(bool(r["valid"]) for r in n), len(n)))),
        ("secure (the judgement's own rule)", pct(secure_ratio(o, "secure")), pct(secure_ratio(n, "secure"))),
        (f"static only, the old analyzers ({', '.join(sorted(old_analyzers))})", "",
         pct(secure_ratio(n, lambda r: static_with(r, old_analyzers)))),
        ("static only, every analyzer that ran", "", pct(secure_ratio(n, "secure_static"))),
        ("dynamic only (security tests)", "", pct(secure_ratio(n, "secure_dynamic"))),
        ("dynamic only, an unmet expectation counted only where the unit tests pass", "",
         pct(secure_ratio(n, strict_dynamic))),
        ("combined (static and dynamic)", "", pct(secure_ratio(n, "secure"))),
    ]  # fmt: skip
    static_dynamic = agreement([(r["secure_static"], r["secure_dynamic"]) for r in n if r["valid"]])
    rows.append(("static and dynamic agree (static secure & exploited / static vulnerable & not exploited)",
                 "", f"{pct(static_dynamic[0])} ({static_dynamic[1]} / {static_dynamic[2]})"))  # fmt: skip
    old_new = agreement([(a["secure"], b["secure"]) for a, b in zip(o, n) if a["valid"] and b["valid"]])
    rows.append(("old and new secure agree, both valid (old-only secure / new-only secure)", "",
                 f"{pct(old_new[0])} ({old_new[1]} / {old_new[2]})"))  # fmt: skip
    valid = agreement([(bool(a["valid"]), bool(b["valid"])) for a, b in zip(o, n)])
    rows.append(("old and new valid agree (old-only valid / new-only valid)", "",
                 f"{pct(valid[0])} ({valid[1]} / {valid[2]})"))  # fmt: skip
    return rows


def evidence(record: dict) -> str:
    """What the failing security tests of an exploited sample reported (the most direct kind)."""
    failures = record["security_tests"]["failures"]
    if "sanitizer:" in failures:
        return "sanitizer report"
    if "killed by signal" in failures or "timed out" in failures:
        return "crash or timeout"
    return "unmet expectation"


def strict_dynamic(record: dict) -> bool | None:
    """``secure_dynamic``, except that a sample whose only evidence is an unmet expectation counts
    as exploited only when it passes its unit tests (else the wrong output may be a plain bug)."""
    if record["exploited"] is None:
        return None
    if not record["exploited"]:
        return True
    return not (evidence(record) != "unmet expectation" or record["correct"] is True)


def evidence_rows(new: dict[str, dict], languages: list[str]) -> None:
    kinds = ("sanitizer report", "crash or timeout", "unmet expectation")
    print("\n| language | exploited / tested valid | " + " | ".join(kinds) + " | exploited and correct |")
    print("|---|---|" + "---|" * len(kinds) + "---|")
    for lang in languages:
        tested = [
            r for r in new.values() if r["language"] == lang and r["valid"] and r["exploited"] is not None
        ]
        hit = [r for r in tested if r["exploited"]]
        counts = [sum(evidence(r) == k for r in hit) for k in kinds]
        correct = sum(r["correct"] is True for r in hit)
        print(f"| {LANGUAGE_NAMES[lang]} | {pct(Ratio(len(hit), len(tested)))} | "
              + " | ".join(str(c) for c in counts) + f" | {correct} |")  # fmt: skip


def per_cwe_rows(new: dict[str, dict]) -> None:
    """Per target CWE (languages together): static-only and combined secure ratios and how many
    tested valid samples a security test exploited."""
    print("\n| CWE | static secure | exploited / tested valid | combined secure |\n|---|---|---|---|")
    for cwe in sorted({r["cwe"] for r in new.values()}, key=lambda c: int(c.split("-")[1])):
        mine = [r for r in new.values() if r["cwe"] == cwe]
        tested = [r for r in mine if r["valid"] and r["exploited"] is not None]
        exploited = Ratio(sum(bool(r["exploited"]) for r in tested), len(tested))
        print(f"| {cwe} | {pct(secure_ratio(mine, 'secure_static'))} | {pct(exploited)} | "
              f"{pct(secure_ratio(mine, 'secure'))} |")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old", type=Path, help="the older judgement (judge results.jsonl, may be gzipped)")
    ap.add_argument("new", type=Path, help="the re-judgement of the same samples")
    ap.add_argument("--per-cwe", action="store_true", help="also the new judgement's ratios per target CWE")
    args = ap.parse_args()
    old, new = load(args.old), load(args.new)
    print(
        f"{len(old.keys() & new.keys())} samples in both ({len(old)} in {args.old}, {len(new)} in {args.new})\n"
    )
    languages = sorted({r["language"] for r in new.values()}, key=list(LANGUAGE_NAMES).index)
    print(
        "| ratio | "
        + " | ".join(f"{LANGUAGE_NAMES[lang]} old | {LANGUAGE_NAMES[lang]} new" for lang in languages)
        + " |"
    )
    print("|---|" + "---|---|" * len(languages))
    per_language = [language_rows(old, new, lang) for lang in languages]
    for cells in zip(*per_language):
        print(f"| {cells[0][0]} | " + " | ".join(f"{c[1]} | {c[2]}" for c in cells) + " |")
    evidence_rows(new, languages)
    if args.per_cwe:
        per_cwe_rows(new)


if __name__ == "__main__":
    main()
