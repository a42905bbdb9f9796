"""Per-CWE secure-ratio plots (the study's Figure 7), one PNG per language."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from seccodegen.report.tables import COORDS


def cell_label(row: pd.Series) -> str:
    parts = [str(row["model"]), str(row["method"])]
    for col in ("granularity", "dataset_size", "prompt_style"):
        if str(row[col]) not in ("-", "baseline"):
            parts.append(str(row[col]))
    return "/".join(parts)


def plot_cwe_secure(cwe_rows: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Grouped bars: x = CWE, one bar per grid cell, 95% CI whiskers. Returns the PNG paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for lang, sub in cwe_rows.groupby("language", sort=True):
        sub = sub[sub["decided"] > 0]
        if sub.empty:
            continue
        cwes = sorted(sub["cwe"].unique(), key=lambda c: int(str(c).split("-")[-1]) if str(c).split("-")[-1].isdigit() else 0)
        cells = sub.drop_duplicates(COORDS)[COORDS]
        width = 0.8 / max(1, len(cells))
        colors = plt.get_cmap("tab20")  # distinct colours for up to 20 cells (the default cycle has 10)
        fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(cwes) + 2), 4))
        for i, (_, cell) in enumerate(cells.iterrows()):
            mask = (sub[COORDS] == cell.values).all(axis=1)
            rows = sub[mask].set_index("cwe")
            xs, ys, lo, hi = [], [], [], []
            for j, cwe in enumerate(cwes):
                if cwe not in rows.index:
                    continue
                r = rows.loc[cwe]
                xs.append(j + (i - (len(cells) - 1) / 2) * width)
                ys.append(100 * r["secure_ratio"])
                # Wilson bounds of 0% or 100% can land a rounding error inside the ratio: clamp
                lo.append(max(0.0, 100 * (r["secure_ratio"] - r["secure_ratio_lo"])))
                hi.append(max(0.0, 100 * (r["secure_ratio_hi"] - r["secure_ratio"])))
            ax.bar(xs, ys, width=width, yerr=[lo, hi], capsize=2, label=cell_label(cell), color=colors(i % 20))
        ax.set_xticks(range(len(cwes)))
        ax.set_xticklabels(cwes, rotation=45, ha="right")
        ax.set_ylabel("secure / valid (%)")
        ax.set_ylim(0, 105)
        ax.set_title(f"Secure ratio per CWE ({lang}), 95% Wilson intervals")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        fig.tight_layout()
        path = out_dir / f"cwe_secure_{lang}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
