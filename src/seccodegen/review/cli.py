"""CLI for the review workflow: sample, serve, stats."""

from __future__ import annotations

import typer

from seccodegen.cli_common import FORCE_OPTION

review_app = typer.Typer(help="Label samples by hand and measure the judge against people.", no_args_is_help=True)


@review_app.command("sample")
def sample_cmd(
    results: list[str] = typer.Argument(..., help="judge results.jsonl files or directories holding them"),
    out: str = typer.Option("reviewset", "--out", "-o", help="review set directory"),
    n: int = typer.Option(None, "--n", help="items to draw (default: the size for --confidence/--margin)"),
    confidence: float = typer.Option(0.95, "--confidence", help="confidence level for the sample size"),
    margin: float = typer.Option(0.05, "--margin", help="margin of error for the sample size"),
    seed: int = typer.Option(0, "--seed", help="random seed"),
    force: bool = FORCE_OPTION,
) -> None:
    """Draw a stratified sample (model, method, CWE, judge verdict) into a review set."""
    from seccodegen.review.reviewset import create_reviewset

    path, k, pop = create_reviewset(results, out, n, confidence, margin, seed, force)
    typer.echo(f"review set: {path} ({k} of {pop} judged samples)")


@review_app.command("serve")
def serve_cmd(
    reviewset: str = typer.Argument(..., help="review set directory"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to bind (local only by default)"),
    port: int = typer.Option(8765, "--port", help="TCP port"),
) -> None:
    """Serve the labelling page; every click is saved to labels.sqlite at once."""
    from seccodegen.review.server import make_server

    server = make_server(reviewset, host, port)
    typer.echo(f"review page: http://{host}:{server.server_address[1]}/  (Ctrl-C to stop; labels are saved)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@review_app.command("stats")
def stats_cmd(
    reviewset: str = typer.Argument(..., help="review set directory"),
    out: str = typer.Option(None, "--out", "-o", help="also write the Markdown (and .json) here"),
) -> None:
    """Agreement between people and the judge per CWE (%, kappa, confusion), and between people."""
    import json
    from pathlib import Path

    from seccodegen.review.agreement import compute, to_markdown

    stats = compute(reviewset)
    text = to_markdown(stats)
    typer.echo(text, nl=False)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        Path(out).with_suffix(".json").write_text(json.dumps(stats, indent=2, default=str))


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
