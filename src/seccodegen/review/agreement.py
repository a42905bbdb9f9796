"""``seccodegen review stats``: people vs the judge (per CWE), and people vs people.

Security: the judge's verdict (secure / vulnerable; invalid and undecided samples are left out)
against each reviewer's label (secure / vulnerable; "unsure" left out). Per CWE and overall:
percent agreement, Cohen's kappa, and the confusion matrix. Inter-reviewer: items labelled by
two or more people, first two reviewers by name.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccodegen.review.reviewset import load_reviewset
from seccodegen.review.store import LabelStore


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa for two raters over the same items; None when undefined (no variation)."""
    if not pairs:
        return None
    n = len(pairs)
    po = sum(a == b for a, b in pairs) / n
    cats = {c for p in pairs for c in p}
    pe = sum((sum(a == c for a, _ in pairs) / n) * (sum(b == c for _, b in pairs) / n) for c in cats)
    if pe == 1:
        return None
    return (po - pe) / (1 - pe)


@dataclass
class Agreement:
    group: str
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (judge, human)

    def row(self) -> dict[str, Any]:
        n = len(self.pairs)
        conf = {f"judge {j} / human {h}": sum(p == (j, h) for p in self.pairs)
                for j in ("secure", "vulnerable") for h in ("secure", "vulnerable")}
        kappa = cohen_kappa(self.pairs)
        return {"group": self.group, "n": n,
                "agreement": round(sum(a == b for a, b in self.pairs) / n, 3) if n else None,
                "kappa": round(kappa, 3) if kappa is not None else None, **conf}


def compute(reviewset: str | Path) -> dict[str, Any]:
    items = {it["id"]: it for it in load_reviewset(reviewset)}
    labels = LabelStore(Path(reviewset) / "labels.sqlite").labels()
    per_cwe: dict[str, Agreement] = defaultdict(lambda: Agreement(""))
    overall = Agreement("all")
    correctness = Agreement("correctness")
    disagreements = []
    by_item: dict[str, dict[str, str]] = defaultdict(dict)
    for lab in labels:
        it = items.get(lab["item_id"])
        if it is None:
            continue
        if lab["security"] in ("secure", "vulnerable"):
            by_item[it["id"]][lab["reviewer"]] = lab["security"]
            if it["verdict"] in ("secure", "vulnerable"):
                pair = (it["verdict"], lab["security"])
                agg = per_cwe[it["cwe"]]
                agg.group = it["cwe"]
                agg.pairs.append(pair)
                overall.pairs.append(pair)
                if pair[0] != pair[1]:
                    disagreements.append({"item_id": it["id"], "cwe": it["cwe"], "judge": pair[0],
                                          "human": pair[1], "reviewer": lab["reviewer"], "note": lab["note"]})
        if lab["correctness"] in ("correct", "incorrect") and it.get("correct") is not None:
            correctness.pairs.append(("correct" if it["correct"] else "incorrect", lab["correctness"]))
    inter = [tuple(v[r] for r in sorted(v)[:2]) for v in by_item.values() if len(v) >= 2]
    kappa = cohen_kappa(inter)  # type: ignore[arg-type]
    return {
        "per_cwe": [per_cwe[k].row() for k in sorted(per_cwe)] + ([overall.row()] if overall.pairs else []),
        "correctness": {"n": len(correctness.pairs),
                        "agreement": (sum(a == b for a, b in correctness.pairs) / len(correctness.pairs))
                        if correctness.pairs else None,
                        "kappa": cohen_kappa(correctness.pairs)},
        "inter_reviewer": {"items": len(inter),
                           "agreement": (sum(a == b for a, b in inter) / len(inter)) if inter else None,
                           "kappa": kappa},
        "disagreements": disagreements,
        "labels": len(labels),
        "items": len(items),
    }


def to_markdown(stats: dict[str, Any]) -> str:
    import pandas as pd

    from seccodegen.report.render import markdown_table

    parts = [f"# Judge vs people\n\n{stats['labels']} labels on {stats['items']} review items.\n",
             "## Security: judge vs reviewers, per CWE\n"]
    parts.append(markdown_table(pd.DataFrame(stats["per_cwe"])) if stats["per_cwe"] else "No security labels yet.")
    c = stats["correctness"]
    parts.append(f"\n## Correctness: unit tests vs reviewers\n\nn = {c['n']}, agreement = {c['agreement']}, "
                 f"kappa = {c['kappa']}\n")
    i = stats["inter_reviewer"]
    parts.append(f"## Inter-reviewer agreement\n\nitems labelled by two people: {i['items']}, agreement = "
                 f"{i['agreement']}, kappa = {i['kappa']}\n")
    parts.append("## Disagreements to inspect\n")
    parts.append(markdown_table(pd.DataFrame(stats["disagreements"])) if stats["disagreements"] else "None.")
    return "\n".join(parts) + "\n"
