"""The study's tables from the tidy results table (one row per judged sample).

Expected sample columns: the grid coordinates in ``COORDS`` (missing ones are filled with "-"),
``language``, ``cwe``, ``scenario_id``, ``valid`` (bool), ``secure`` (bool or null when no
analyzer applied), ``correct`` (bool or null when tests did not run).

Ratios, as in Li et al.: valid = valid / total; secure = secure / valid (samples whose security
could not be decided are left out of the denominator and counted in ``undecided``);
secure & correct (beyond the study) = (secure and tests passed) / samples whose tests ran.
"""

from __future__ import annotations

import pandas as pd

from seccodegen.report.stats import Ratio, fisher_exact, pass_at_k

COORDS = ["model", "method", "granularity", "dataset_size", "prompt_style"]
BASE_METHOD = "base"
BASE_STYLE = "baseline"


def normalise(samples: pd.DataFrame) -> pd.DataFrame:
    df = samples.copy()
    for col in COORDS:
        if col not in df.columns:
            df[col] = "-"
        df[col] = df[col].fillna("-").astype(str)
    for col in ("valid", "secure", "correct"):
        if col not in df.columns:
            df[col] = None
    df["valid"] = df["valid"].fillna(False).astype(bool)
    return df


def _counts(group: pd.DataFrame) -> dict[str, int]:
    valid = group[group["valid"]]
    decided = valid[valid["secure"].notna()]
    tested = group[group["correct"].notna()]
    secure_correct = tested[(tested["secure"] == True) & (tested["correct"] == True)]  # noqa: E712
    return {
        "total": len(group),
        "valid": len(valid),
        "decided": len(decided),
        "secure": int((decided["secure"] == True).sum()),  # noqa: E712
        "undecided": len(valid) - len(decided),
        "tested": len(tested),
        "secure_correct": len(secure_correct),
    }


def ratio_rows(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Tidy numeric table: one row per group with counts, ratios and 95% Wilson intervals."""
    rows = []
    for key, group in df.groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        c = _counts(group)
        row = dict(zip(by, key))
        row.update(c)
        for name, k, n in (
            ("valid_ratio", c["valid"], c["total"]),
            ("secure_ratio", c["secure"], c["decided"]),
            ("secure_correct_ratio", c["secure_correct"], c["tested"]),
        ):
            r = Ratio(k, n)
            ci = r.interval
            row[name] = r.value
            row[name + "_lo"] = ci[0] if ci else None
            row[name + "_hi"] = ci[1] if ci else None
        rows.append(row)
    return pd.DataFrame(rows)


def add_fisher_vs_base(tidy: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """p-value of each row's secure ratio against the same model's reference row (same language).

    The reference is the pretrained model with the baseline prompt (method ``base``, prompt style
    ``baseline``), as in the study: fine-tunes and security prompts are both compared with it.
    """
    out = tidy.copy()
    pvals = []
    for _, row in out.iterrows():
        is_ref = row["method"] == BASE_METHOD and row.get("prompt_style", BASE_STYLE) in (BASE_STYLE, "-")
        mask = (out["model"] == row["model"]) & (out["method"] == BASE_METHOD)
        if "prompt_style" in by:
            mask &= out["prompt_style"].isin([BASE_STYLE, "-"])
        if "language" in by:
            mask &= out["language"] == row["language"]
        base = out[mask]
        if is_ref or base.empty:
            pvals.append(None)
            continue
        b = base.iloc[0]
        pvals.append(fisher_exact(int(row["secure"]), int(row["decided"]), int(b["secure"]), int(b["decided"])))
    out["secure_p_vs_base"] = pvals
    return out


def study_table(df: pd.DataFrame, languages: list[str]) -> pd.DataFrame:
    """Table 3/6 (C, C++) and Table 11 (Python, Java) layout: rows = grid cell, columns per language."""
    sub = df[df["language"].isin(languages)]
    if sub.empty:
        return pd.DataFrame()
    tidy = add_fisher_vs_base(ratio_rows(sub, COORDS + ["language"]), COORDS + ["language"])
    wide = []
    for key, group in tidy.groupby(COORDS, sort=True):
        row = dict(zip(COORDS, key))
        for lang in languages:
            g = group[group["language"] == lang]
            if g.empty:
                continue
            r = g.iloc[0]
            row[f"{lang} valid"] = Ratio(int(r["valid"]), int(r["total"])).fmt()
            row[f"{lang} secure"] = Ratio(int(r["secure"]), int(r["decided"])).fmt()
            p = r["secure_p_vs_base"]
            row[f"{lang} p vs base"] = "" if p is None or pd.isna(p) else f"{p:.3g}"
            if r["tested"]:
                row[f"{lang} secure&correct"] = Ratio(int(r["secure_correct"]), int(r["tested"])).fmt()
        wide.append(row)
    return pd.DataFrame(wide)


def oracle_table(df: pd.DataFrame) -> pd.DataFrame:
    """Static-only, dynamic-only and combined secure ratios side by side, and how often the two agree.

    Needs the judge's ``secure_static``/``secure_dynamic`` columns; empty when no sample has a
    dynamic verdict (no security tests ran). Each ratio counts valid samples that oracle decided;
    ``agree`` counts valid samples both decided, and how many of them got the same verdict.
    """
    if "secure_dynamic" not in df.columns or "secure_static" not in df.columns:
        return pd.DataFrame()
    if not df["secure_dynamic"].notna().any():
        return pd.DataFrame()
    rows = []
    for key, group in df[df["valid"]].groupby(COORDS + ["language"], sort=True):
        row = dict(zip(COORDS + ["language"], key))
        for label, col in (("static", "secure_static"), ("dynamic", "secure_dynamic"), ("combined", "secure")):
            decided = group[group[col].notna()]
            row[f"{label} secure"] = Ratio(int((decided[col] == True).sum()), len(decided)).fmt()  # noqa: E712
        both = group[group["secure_static"].notna() & group["secure_dynamic"].notna()]
        static, dynamic = both["secure_static"].astype(bool), both["secure_dynamic"].astype(bool)
        row["agree"] = Ratio(int((static == dynamic).sum()), len(both)).fmt()
        row["static only vulnerable"] = int((~static & dynamic).sum())
        row["dynamic only vulnerable"] = int((static & ~dynamic).sum())
        rows.append(row)
    return pd.DataFrame(rows)


LANGUAGE_NAMES = {"c": "C", "cpp": "C++", "python": "Python", "java": "Java"}
STUDY_TABLES = {"c": "Table 3", "cpp": "Table 6", "python": "Table 11", "java": "Table 11"}


def languages_heading(df: pd.DataFrame, languages: list[str]) -> str:
    """E.g. ``C and C++ (Tables 3 and 6)``, naming only the languages the table holds."""
    present = [lang for lang in languages if (df["language"] == lang).any()]
    names = " and ".join(LANGUAGE_NAMES.get(lang, lang) for lang in present)
    numbers = list(dict.fromkeys(STUDY_TABLES.get(lang, "") for lang in present))
    if len(numbers) == 1:
        return f"{names} ({numbers[0]})"
    return f"{names} (Tables {' and '.join(n.removeprefix('Table ') for n in numbers)})"


def compact_cwe_table(cwe: pd.DataFrame) -> pd.DataFrame:
    """The per-CWE table for reading (about 1,000 px wide, not 17 columns): the grid coordinates
    that vary joined into one ``cell`` label, then language, CWE, valid and secure as k/n."""
    if cwe.empty:
        return cwe
    varying = [c for c in COORDS if cwe[c].nunique() > 1] or ["model"]
    rows = []
    for r in cwe.itertuples(index=False):
        row = r._asdict()
        rows.append({
            "cell": "/".join(str(row[c]) for c in varying),
            "language": row["language"],
            "cwe": row["cwe"],
            "valid": f"{row['valid']}/{row['total']}",
            "secure (95% CI)": Ratio(int(row["secure"]), int(row["decided"])).fmt(),
        })  # fmt: skip
    return pd.DataFrame(rows)


def cwe_table(df: pd.DataFrame) -> pd.DataFrame:
    """Secure ratio per CWE and grid cell (the data behind the per-CWE plots)."""
    return ratio_rows(df, COORDS + ["language", "cwe"])


def size_table(df: pd.DataFrame) -> pd.DataFrame:
    """Table 5 layout: secure ratio per dataset size (fine-tuned cells only); empty if one size."""
    tuned = df[(df["method"] != BASE_METHOD) & (df["dataset_size"] != "-")]  # "-": a pretrained cell (also a base recipe)
    if tuned["dataset_size"].nunique() < 2:
        return pd.DataFrame()
    return ratio_rows(tuned, ["model", "method", "granularity", "dataset_size", "language"])


def _humaneval_reference(df: pd.DataFrame, model: str) -> pd.DataFrame:
    """The pretrained model's HumanEval rows: method ``base``, or else the model's one untuned
    method (granularity "-"). A grid's pretrained recipes (``base-chat`` ...) share one HumanEval
    run, named after the first of them, so a model sampled only through such a recipe has no
    ``base`` row; empty when neither exists or several untuned methods do."""
    mine = df[df["model"] == model]
    base = mine[mine["method"] == BASE_METHOD]
    if not base.empty:
        return base
    untuned = mine[mine["granularity"] == "-"]
    return untuned if untuned["method"].nunique() == 1 else untuned.iloc[0:0]


def humaneval_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Table 8 layout from per-task rows (coords, task_id, n, c): pass@1 and Fisher vs base.

    ``p vs base`` is Fisher's exact test on all samples pooled (passed/failed) against the same
    model's base run; ``tasks p<0.05 vs base`` counts tasks whose own pass rate differs from the
    base run's at p < 0.05 (Fisher exact on correct/incorrect samples of that task). The base
    run is the model's ``base`` row, or its one untuned row (:func:`_humaneval_reference`).
    """
    if runs.empty:
        return pd.DataFrame()
    df = normalise(runs)
    rows = []
    for key, group in df.groupby(COORDS, sort=True):
        row = dict(zip(COORDS, key))
        row["tasks"] = int(group["task_id"].nunique())
        row["pass@1"] = float(sum(pass_at_k(int(n), int(c), 1) for n, c in zip(group["n"], group["c"])) / len(group))
        if (group["n"] >= 10).all():
            row["pass@10"] = float(
                sum(pass_at_k(int(n), int(c), 10) for n, c in zip(group["n"], group["c"])) / len(group)
            )
        row["passed samples"] = f"{int(group['c'].sum())}/{int(group['n'].sum())}"
        row["p vs base"] = None
        row["tasks p<0.05 vs base"] = None
        base = _humaneval_reference(df, row["model"])
        if not base.empty and row["method"] != base["method"].iloc[0]:
            # all samples pooled: passed/failed against the base model's (the study's Table 8 test)
            row["p vs base"] = round(
                fisher_exact(int(group["c"].sum()), int(group["n"].sum()), int(base["c"].sum()), int(base["n"].sum())),
                4,
            )
            merged = group.merge(base[["task_id", "n", "c"]], on="task_id", suffixes=("", "_base"))
            row["tasks p<0.05 vs base"] = int(
                sum(
                    fisher_exact(int(r.c), int(r.n), int(r.c_base), int(r.n_base)) < 0.05
                    for r in merged.itertuples()
                )
            )
        rows.append(row)
    return pd.DataFrame(rows)
