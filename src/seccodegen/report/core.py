"""``seccodegen report``: the study's tables, per-CWE plots and Fisher tests as Markdown, HTML and CSV."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from seccodegen.artifacts import open_artifact
from seccodegen.errors import InputError
from seccodegen.report import tables
from seccodegen.report.config import ReportConfig
from seccodegen.report.coords import expand_model_column
from seccodegen.report.coverage import coverage_section
from seccodegen.report.plots import plot_cwe_secure
from seccodegen.report.render import Section, render_html, render_markdown
from seccodegen.report.schema import HUMANEVAL_COLUMNS, RESULTS_COLUMNS, Column, read_checked

RESULTS_NAMES = ("results.parquet", "results.csv", "results.jsonl")
HUMANEVAL_NAMES = ("humaneval.parquet", "humaneval.csv")


def read_table(path: Path, columns: tuple[Column, ...] = RESULTS_COLUMNS) -> pd.DataFrame:
    """A results (or HumanEval) table, every cell checked against ``columns`` (see report.schema)."""
    return read_checked(path, columns)


def _find(path: Path, names: tuple[str, ...]) -> Path | None:
    if path.is_file():
        return path
    for name in names:
        if (path / name).is_file():
            return path / name
    return None


def load_inputs(cfg: ReportConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    src = Path(cfg.results)
    results = _find(src, RESULTS_NAMES)
    if results is None:
        raise InputError(f"{src}: no results table found (expected one of {', '.join(RESULTS_NAMES)})")
    if results.stat().st_size < 4096 and not results.read_bytes().strip():  # blank: nothing judged yet
        raise InputError(f"{results}: the results table is empty (no judged samples yet); judge some samples first")
    samples = tables.normalise(expand_model_column(read_table(results)))
    if samples.empty:
        raise InputError(f"{results}: the results table is empty (no judged samples yet); judge some samples first")
    he_path = Path(cfg.humaneval) if cfg.humaneval else (_find(src, HUMANEVAL_NAMES) if src.is_dir() else None)
    humaneval = read_table(he_path, HUMANEVAL_COLUMNS) if he_path else pd.DataFrame()
    return samples, humaneval


def build_sections(samples: pd.DataFrame, humaneval: pd.DataFrame, out: Path, plots: bool) -> list[Section]:
    sections: list[Section] = []
    for langs in (["c", "cpp"], ["python", "java"]):
        t = tables.study_table(samples, langs)
        if not t.empty:
            title = tables.languages_heading(samples, langs)
            sections.append(
                Section(
                    title,
                    "valid = compiles / total; secure = no finding of the scenario's CWE / valid samples whose "
                    "security was decided; secure&correct = secure and unit tests pass / samples whose tests "
                    "ran. Each ratio with its 95% Wilson interval; p = Fisher exact test of the secure ratio "
                    "against the same model's base row.",
                    t,
                )
            )
            t.to_csv(out / "tables" / f"study_{'_'.join(langs)}.csv", index=False)
    oracles = tables.oracle_table(samples)
    if not oracles.empty:
        oracles.to_csv(out / "tables" / "static_vs_dynamic.csv", index=False)
        sections.append(
            Section(
                "Static vs dynamic judge",
                "Secure ratio by the analyzers alone (static), by the security tests alone (dynamic: "
                "no exploit took effect under the sanitizers) and by the judge's rule (combined), each "
                "over valid samples that oracle decided; agree = samples both decided with the same "
                "verdict; the last two columns count the samples only one of them calls vulnerable.",
                oracles,
            )
        )
    tidy = tables.add_fisher_vs_base(
        tables.ratio_rows(samples, tables.COORDS + ["language"]), tables.COORDS + ["language"]
    )
    tidy.to_csv(out / "tables" / "ratios.csv", index=False)
    size = tables.size_table(samples)
    if not size.empty:
        size.to_csv(out / "tables" / "dataset_size.csv", index=False)
        sections.append(Section("Dataset size (Table 5)", "Secure ratio per training-set size.", _fmt(size)))
    if not humaneval.empty:
        he = tables.humaneval_table(humaneval)
        he.to_csv(out / "tables" / "humaneval.csv", index=False)
        sections.append(
            Section(
                "HumanEval-X C++ (Table 8)",
                "pass@k with the unbiased estimator; p vs base = Fisher's exact test of passed/failed "
                "samples, all tasks pooled, against the same model's base row; tasks p<0.05 = tasks whose "
                "own pass rate differs from the base model's by Fisher's exact test.",
                he,
            )
        )
    cwe = tables.cwe_table(samples)
    cwe.to_csv(out / "tables" / "per_cwe.csv", index=False)
    images = plot_cwe_secure(cwe, out) if plots else []
    sections.append(
        Section(
            "Secure ratio per CWE (Figure 7)",
            "One row per grid cell, language and CWE; valid = k/n of all samples; secure = k/n of the "
            "decided valid samples with its 95% Wilson interval. All counts: tables/per_cwe.csv.",
            tables.compact_cwe_table(cwe),
            images,
        )
    )
    return sections


def _fmt(tidy: pd.DataFrame) -> pd.DataFrame:
    keep = [c for c in tidy.columns if not c.endswith(("_lo", "_hi"))]
    return tidy[keep].round(3)


def run(cfg: ReportConfig, force: bool = False) -> Path:
    """Build the report into ``cfg.out``; returns the path of report.html."""
    samples, humaneval = load_inputs(cfg)
    art = open_artifact(cfg.out, "report", cfg, inputs={"results": cfg.results}, force=force)
    out = art.path
    (out / "tables").mkdir(exist_ok=True)
    sections = build_sections(samples, humaneval, out, cfg.plots)
    sections += [s for s in [coverage_section(samples)] if s is not None]  # which scenarios each ratio covers
    intro = "\n".join(cfg.notes) if cfg.notes else f"{len(samples)} judged samples."
    (out / "report.md").write_text(render_markdown(cfg.title, intro, sections, out), encoding="utf-8")
    (out / "report.html").write_text(render_html(cfg.title, intro, sections), encoding="utf-8")
    art.finish({"report.md": "written", "report.html": "written", "samples": len(samples)})
    return out / "report.html"
