"""CLI of the dataset stage: ``seccodegen dataset build | stats | contamination | formats``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from seccodegen.cli_common import FORCE_OPTION
from seccodegen.config_flags import LoadConfig, StageOptions, flag, stage_command
from seccodegen.dataset.config import DatasetConfig
from seccodegen.errors import ConfigError

SUITE_DIR = Path(__file__).resolve().parent.parent / "scenarios" / "suite"

dataset_app = typer.Typer(help="Build fine-tuning sets from vulnerability-fix commits.", no_args_is_help=True)


def _source(value: str) -> dict[str, str]:
    """``FORMAT:PATH`` -> a ``SourceSpec`` mapping."""
    fmt, sep, path = value.partition(":")
    if not sep or not fmt or not path:
        raise ConfigError(f"--source {value!r} must be FORMAT:PATH, e.g. vulnfix-jsonl:commits.jsonl.gz")
    return {"format": fmt, "path": path}


OPTIONS = StageOptions(
    "dataset", DatasetConfig, "seccodegen dataset build", set_example="sizes=[100,200]",
    flags={
        "sources": flag("--source", parse=_source, metavar="FORMAT:PATH", split=False),
        "out": flag("-o"), "links": flag(split=False),
    },
)  # fmt: skip


@stage_command(dataset_app, "build", OPTIONS)
def build(load: LoadConfig, force: bool = FORCE_OPTION) -> None:
    """Read corpora, cut file/function/block/line examples, split 90/10 by file, write JSONL.

    Formats of --source: `seccodegen dataset formats`. See docs/dataset.md.
    """
    from seccodegen.dataset.build import run

    path = run(load(), force=force)
    _print_table(path)
    typer.echo(f"wrote {path}")
    outputs = json.loads((path / "manifest.json").read_text(encoding="utf-8")).get("outputs", {})
    if not any(outputs.get("examples", {}).values()):
        typer.echo(f"warning: no examples were produced; see why in {path / 'dropped.jsonl'}", err=True)
    for n in outputs.get("skipped_sizes", []):
        typer.echo(f"warning: size subset {n} skipped: only {outputs.get('commits')} commits", err=True)


@dataset_app.command("stats")
def stats(
    dataset_dir: Path = typer.Argument(..., help="A directory written by `dataset build`."),
    csv_path: Path = typer.Option(None, "--csv", help="Where to write the table (default DIR/stats.csv)."),
) -> None:
    """Print the study's Table 1/4/7 (CVEs, commits, projects, files, samples, tokens) and write it as CSV."""
    from seccodegen.dataset.stats import stats_from_dir, write_stats_csv

    rows = stats_from_dir(dataset_dir)
    target = csv_path or dataset_dir / "stats.csv"
    write_stats_csv(rows, target)
    _print_table(dataset_dir, rows)
    typer.echo(f"wrote {target}")


@dataset_app.command("contamination")
def contamination(
    dataset_dir: Path = typer.Argument(..., help="A directory written by `dataset build`."),
    scenarios: Path = typer.Option(SUITE_DIR, "--scenarios", help="Scenario suite directory (YAML files)."),
    n: int = typer.Option(10, "--n", help="n-gram length in code tokens."),
    report: Path = typer.Option(None, "--report", help="Also write every overlap as JSONL here."),
) -> None:
    """Report every (scenario, example) pair sharing an n-gram of code tokens."""
    from rich.console import Console
    from rich.table import Table

    from seccodegen.dataset.contamination import find_overlaps, load_scenarios
    from seccodegen.records import write_jsonl

    skipped: list[str] = []
    suite = load_scenarios(scenarios, skipped)
    for line in skipped:
        typer.echo(f"skipped scenario file {line}", err=True)
    rows = find_overlaps(dataset_dir, suite, n)
    if report:
        write_jsonl(report, rows)
    table = Table(title=f"{len(rows)} overlapping (scenario, example) pairs, n={n}, {len(suite)} scenarios")
    for col in ("scenario", "granularity", "split", "shared n-grams", "example", "repo@sha:path"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["scenario_id"],
            r["granularity"],
            r["split"],
            str(r["shared_ngrams"]),
            r["example_id"],
            f"{r['repo']}@{str(r['sha'])[:10]}:{r['path']}",
        )
    Console(width=200).print(table)
    hit = sorted({r["scenario_id"] for r in rows})
    typer.echo(
        f"{len(hit)} of {len(suite)} scenarios overlap the dataset" + (": " + ", ".join(hit) if hit else "")
    )


@dataset_app.command("formats")
def formats() -> None:
    """List the corpus formats --source accepts."""
    from seccodegen.dataset.readers import READERS

    for name, reader in READERS.items():
        doc = (reader.__module__ and __import__(reader.__module__, fromlist=["_"]).__doc__ or "").strip()
        typer.echo(f"{name:18s} {doc.splitlines()[0] if doc else ''}")


def _print_table(dataset_dir: Path, rows: list[dict] | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    from seccodegen.dataset.stats import COLUMNS, drop_summary, stats_from_dir

    if rows is None:
        rows = _read_stats_csv(dataset_dir / "stats.csv") if (dataset_dir / "stats.csv").is_file() else None
    rows = rows if rows is not None else stats_from_dir(dataset_dir)
    table = Table(title=f"dataset {dataset_dir}")
    for col in COLUMNS:
        table.add_column(col, justify="left" if col in ("subset", "granularity") else "right")
    for r in rows:
        table.add_row(*(f"{r[c]:,}" if isinstance(r[c], int) else str(r[c]) for c in COLUMNS))
    console = Console(width=160)
    console.print(table)
    drops = drop_summary(dataset_dir)
    if drops:
        total = sum(c for _, c in drops)
        console.print(
            f"dropped: {total:,} (details with source locations in {dataset_dir / 'dropped.jsonl'})"
        )
        for reason, count in drops:
            console.print(f"  {count:>7,}  {reason}")


def _read_stats_csv(path: Path) -> list[dict]:
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        return [{k: (int(v) if v.isdigit() else v) for k, v in row.items()} for row in csv.DictReader(fh)]


def register(app: typer.Typer) -> None:
    app.add_typer(dataset_app, name="dataset")
