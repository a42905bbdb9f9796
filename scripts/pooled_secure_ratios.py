"""Pooled C/C++ ratios of an experiment's cells and Fisher's exact tests against a reference cell.

The report compares every cell with the pretrained model's plain-prompt row; a recipe sampled
through the chat template is better compared with the pretrained model sampled the same way.

    python scripts/pooled_secure_ratios.py runs/secure-tuning/results.parquet --reference base-chat

A recipe trained on nested subsets of the commits gives one row per size (``method/172``).
``--pool NAME=a,b`` adds a row that pools the samples of cells ``a`` and ``b`` (two training seeds
of one recipe, say) and tests the pool against the reference the same way; a pool can also be the
reference (one cell against a recipe's seeds together). ``--cell NAME=FILE``
adds a cell from a judged results file outside the grid (``seccodegen judge``'s results.jsonl,
or a published ``*.judged.jsonl.gz``), e.g. earlier samples judged again with this judge; it can
also be the reference.
"""

from __future__ import annotations

import argparse

import pandas as pd
from scipy.stats import fisher_exact


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", help="results.parquet written by `seccodegen run`")
    ap.add_argument("--reference", default="base", help="method (or recipe) name to test against")
    ap.add_argument("--languages", default="c,cpp")
    ap.add_argument("--model", default="", help="only this model's cells (the grid's model name); default: all")
    ap.add_argument("--pool", action="append", default=[], metavar="NAME=A,B",
                    help="also a row NAME pooling the samples of cells A and B (repeatable)")  # fmt: skip
    ap.add_argument("--cell", action="append", default=[], metavar="NAME=FILE",
                    help="also a cell NAME read from a judged results JSONL (.gz too) (repeatable)")  # fmt: skip
    args = ap.parse_args()
    df = pd.read_parquet(args.results)
    if args.model:
        if args.model not in set(df["model"]):
            raise SystemExit(f"--model {args.model}: not in the results' models {sorted(set(df['model']))}")
        df = df[df["model"] == args.model]
    df = pd.concat([df] + [_judged_file(spec) for spec in args.cell], ignore_index=True)
    df = df[df["language"].isin(args.languages.split(","))]
    rows = {}
    print("| method | samples | valid | secure / decided valid | secure & correct / all | p secure | p secure&correct |")
    print("|---|---|---|---|---|---|---|")
    for method, g in df.groupby(_cell_names(df)):
        valid = g[g["valid"] == True]  # noqa: E712  (booleans from parquet)
        decided = valid[valid["secure"].notna()]
        secure = int((decided["secure"] == True).sum())  # noqa: E712
        both = int(((valid["secure"] == True) & (valid["correct"] == True)).sum())  # noqa: E712
        rows[method] = (len(g), len(valid), len(decided), secure, both)
    cells_only = sorted(rows)
    for spec in args.pool:
        name, _, members = spec.partition("=")
        cells = [m for m in members.split(",") if m]
        if not name or not cells or set(cells) - set(cells_only):
            raise SystemExit(f"--pool {spec}: expected NAME=A,B with cells among {cells_only}")
        rows[name] = tuple(map(sum, zip(*(rows[c] for c in cells))))  # (samples, valid, decided, ...)
    if args.reference not in rows:  # a cell, or a pool (a cell against several seeds' samples)
        raise SystemExit(f"--reference {args.reference}: not among the cells {cells_only} or the pools")
    ref = rows[args.reference]
    for method, (n, v, d, s, sc) in rows.items():
        p1 = fisher_exact([[s, d - s], [ref[3], ref[2] - ref[3]]])[1] if method != args.reference else None
        p2 = fisher_exact([[sc, n - sc], [ref[4], ref[0] - ref[4]]])[1] if method != args.reference else None
        fmt = lambda p: "" if p is None else f"{p:.2g}"  # noqa: E731
        print(f"| {method} | {n} | {v} ({v / n:.1%}) | {s}/{d} ({s / d:.1%}) | {sc} ({sc / n:.1%}) | {fmt(p1)} | {fmt(p2)} |")


def _cell_names(df: pd.DataFrame) -> pd.Series:
    """A cell's name: its method, and ``/<size>`` for a recipe trained on a subset of the commits
    (``dataset_sizes``), so a data-size ablation's cells are not pooled into one row."""
    sizes = df["dataset_size"] if "dataset_size" in df else pd.Series("-", index=df.index)
    subset = ~sizes.fillna("-").isin(["-", "all"])
    return df["method"].where(~subset, df["method"] + "/" + sizes.astype(str))


def _judged_file(spec: str) -> pd.DataFrame:
    """Rows of a judged results JSONL as one cell named by ``--cell NAME=FILE``."""
    name, _, path = spec.partition("=")
    if not name or not path:
        raise SystemExit(f"--cell {spec}: expected NAME=FILE (a judged results .jsonl or .jsonl.gz)")
    try:
        rows = pd.read_json(path, lines=True, compression="infer")
    except (OSError, ValueError) as exc:
        raise SystemExit(f"--cell {spec}: cannot read {path} as judged JSONL ({exc})") from None
    missing = {"language", "valid", "secure", "correct"} - set(rows.columns)
    if missing:
        raise SystemExit(f"--cell {spec}: {path} lacks {sorted(missing)}; pass a judged results file")
    rows = rows[["language", "valid", "secure", "correct"]].astype(object)
    return rows.assign(method=name)


if __name__ == "__main__":
    main()
