"""``run(DatasetConfig) -> Path``: read every source, merge, cut, split and write the dataset.

Layout of the output (an artifact directory with ``manifest.json``)::

    OUT/<granularity>/train.jsonl, val.jsonl              every example (dataset_example records)
    OUT/<granularity>/size-<n>/train.jsonl, val.jsonl     nested subset of the first n commits
    OUT/stats.csv                                         the Table 1/4/7-style counts
    OUT/dropped.jsonl                                     every dropped row/file/example: location, reason
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
from collections import Counter
from pathlib import Path
from typing import IO, Any

from seccodegen.artifacts import open_artifact
from seccodegen.dataset.changes import Dropped
from seccodegen.dataset.config import DatasetConfig, SourceSpec  # noqa: F401  (SourceSpec: the public import path)
from seccodegen.dataset.contamination import NgramIndex, load_scenarios
from seccodegen.dataset.examples import SCHEMA_VERSION, Task, commit_examples, init_worker
from seccodegen.dataset.merge import Origin, apply_filters, deduplicate
from seccodegen.dataset.readers import READERS, ReaderContext, read_link_csv
from seccodegen.dataset.selection import commit_key, file_key, size_subsets, split_by_file
from seccodegen.dataset.stats import StatsAccumulator, write_stats_csv
from seccodegen.errors import ConfigError, InputError
from seccodegen.progress import progress_bar

log = logging.getLogger(__name__)

# Below this many commits a worker pool costs more (process start, pickling) than it saves.
MIN_COMMITS_FOR_POOL = 40


class _Writers:
    """One open ``.tmp`` file per (folder, split); renamed into place when the build finishes."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.handles: dict[Path, IO[str]] = {}
        self.counts: Counter = Counter()

    def _open(self, path: Path) -> IO[str]:
        path.parent.mkdir(parents=True, exist_ok=True)
        # kept open across the whole build (one per output file); closed and renamed in close()
        fh = self.handles[path] = open(path.with_name(path.name + ".tmp"), "w", encoding="utf-8")  # noqa: SIM115
        return fh

    def write(self, rel: str, record: dict[str, Any]) -> None:
        path = self.out / rel
        fh = self.handles.get(path) or self._open(path)
        fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        self.counts[rel] += 1

    def ensure(self, rel: str) -> None:
        """Create an (empty) file so every granularity has train.jsonl and val.jsonl."""
        path = self.out / rel
        if path not in self.handles:
            self._open(path)
            self.counts[rel] += 0

    def close(self) -> None:
        for path, fh in self.handles.items():
            fh.close()
            os.replace(path.with_name(path.name + ".tmp"), path)


def read_sources(cfg: DatasetConfig, ctx: ReaderContext) -> list[Origin]:
    items: list[Origin] = []
    for index, spec in enumerate(cfg.sources):
        reader = READERS.get(spec.format)
        for record in reader(Path(spec.path).expanduser(), ctx):
            items.append(Origin(index, record))
    return items


def run(cfg: DatasetConfig, force: bool = False) -> Path:
    if not cfg.out:
        raise ConfigError("no output directory: pass --out DIR (or set out: in the config)")
    if not cfg.sources:
        raise ConfigError(
            "no sources: pass --source FORMAT:PATH (formats: " + ", ".join(READERS.names()) + ")"
        )
    for spec in cfg.sources:
        if not Path(spec.path).expanduser().exists():
            raise InputError(f"source {spec.format}:{spec.path} does not exist; check the path")
    for link_csv in cfg.links:
        if not Path(link_csv).is_file():
            raise InputError(f"link CSV {link_csv} does not exist; check --links")
    # git repositories are identified by their refs (below), not by hashing every object file
    inputs: dict[str, str | Path] = {
        f"source{i}:{s.format}": s.path for i, s in enumerate(cfg.sources) if s.format != "git"
    }
    inputs.update({f"links{i}": p for i, p in enumerate(cfg.links)})
    if cfg.exclude_overlap_with:
        inputs["scenarios"] = cfg.exclude_overlap_with
    art = open_artifact(cfg.out, "dataset", cfg, schema_version=SCHEMA_VERSION, inputs=inputs, force=force)
    out = art.path

    ctx = ReaderContext(max_file_bytes=cfg.max_file_bytes, include_tests=cfg.include_tests)
    for link_csv in cfg.links:
        ctx.links.update(read_link_csv(link_csv, ctx.drops))
    drops = ctx.drops
    items = read_sources(cfg, ctx)
    items = apply_filters(items, cfg.languages, cfg.cwe, drops)
    items = deduplicate(items, drops)
    records = [it.record for it in items]
    splits = split_by_file(records, cfg.val_fraction, cfg.seed)
    members, skipped_sizes = size_subsets(records, cfg.sizes, cfg.seed)
    for n in skipped_sizes:
        log.warning("size subset %d skipped: only %d commits after merging", n, len(members))
    index = None
    if cfg.exclude_overlap_with:
        index = NgramIndex.build(load_scenarios(cfg.exclude_overlap_with), cfg.ngram)
    tasks = [
        Task(
            rec,
            tuple(cfg.granularities),
            {f.path: splits[file_key(rec, f.path)] for f in rec.files},
            members[commit_key(rec)],
        )
        for rec in records
    ]
    writers = _Writers(out)
    stats = StatsAccumulator()
    seen_text: set[tuple[str, str, str]] = set()
    overlaps: Counter = Counter()
    for gran in cfg.granularities:
        for split in ("train", "val"):
            writers.ensure(f"{gran}/{split}.jsonl")
            for n in cfg.sizes:
                if n not in skipped_sizes:
                    writers.ensure(f"{gran}/size-{n}/{split}.jsonl")
    try:
        with progress_bar("dataset: cutting commits", len(tasks)) as advance:
            for produced, task_drops in _map(tasks, index, cfg.workers):
                drops.extend(task_drops)
                for p in produced:
                    ex = p.example
                    where = ex["provenance"]["location"]
                    if p.overlaps:
                        overlaps.update(p.overlaps.keys())
                        drops.append(
                            Dropped(
                                where,
                                "overlaps a scenario (contamination)",
                                ex["provenance"]["source"],
                                f"{ex['granularity']}: {', '.join(sorted(p.overlaps))}",
                            )
                        )
                        continue
                    key = (ex["granularity"], ex["language"], p.text_hash)
                    if cfg.dedupe_text and key in seen_text:
                        drops.append(
                            Dropped(
                                where,
                                "duplicate example text at this granularity",
                                ex["provenance"]["source"],
                                ex["granularity"],
                            )
                        )
                        continue
                    seen_text.add(key)
                    writers.write(f"{ex['granularity']}/{ex['split']}.jsonl", ex)
                    stats.add(ex, p.tokens)
                    for n in p.sizes:
                        writers.write(f"{ex['granularity']}/size-{n}/{ex['split']}.jsonl", ex)
                        stats.add(ex, p.tokens, f"size-{n}")
                advance(1)
    finally:
        writers.close()
    n_drops = _write_drops(out / "dropped.jsonl", drops)
    rows = stats.rows()
    write_stats_csv(rows, out / "stats.csv")
    art.extra["git_refs"] = _git_refs(cfg)
    art.finish(
        {
            "examples": {k: v for k, v in sorted(writers.counts.items())},
            "commits": len(records),
            "dropped": n_drops,
            "dropped_by_reason": dict(Counter(d.reason for d in drops).most_common()),
            "skipped_sizes": skipped_sizes,
            "overlapping_scenarios": dict(overlaps),
        }
    )
    return out


def _git_refs(cfg: DatasetConfig) -> dict[str, dict[str, str]]:
    """{repository path: {ref: sha}} of every git source, recorded in the manifest."""
    from seccodegen.dataset.readers.git_miner import find_repos, list_refs

    return {
        str(repo): list_refs(repo)
        for s in cfg.sources
        if s.format == "git"
        for repo in find_repos(Path(s.path))
    }


def _write_drops(path: Path, drops: list[Dropped]) -> int:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(d.to_dict(), ensure_ascii=False, sort_keys=True) + "\n" for d in drops)
    os.replace(tmp, path)
    return len(drops)


def _map(tasks: list[Task], index: NgramIndex | None, workers: int):
    """commit_examples over the tasks, in order; a fork pool when there is enough work."""
    n_workers = workers or os.cpu_count() or 1
    if (
        n_workers <= 1
        or len(tasks) < MIN_COMMITS_FOR_POOL
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        init_worker(index)
        try:
            for task in tasks:
                yield commit_examples(task)
        finally:
            init_worker(None)
        return
    ctx = multiprocessing.get_context("fork")  # workers inherit the loaded grammars; no re-import
    with ctx.Pool(n_workers, initializer=init_worker, initargs=(index,)) as pool:
        yield from pool.imap(commit_examples, tasks, chunksize=2)
