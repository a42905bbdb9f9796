"""The judging engine: compile, analyze in batches, run tests; parallel, cached, deduplicated.

Work is a list of tasks run on a thread pool of ``jobs`` workers (each task runs tool
*processes*, so threads are enough to fill the cores):

* one validity task per ``COMPILE_BATCH_SIZE`` distinct programs with the same compile command
  (one sandboxed job compiles and links them one after the other);
* one task per (analyzer, language, flags, batch of ``analyzer.batch_size`` files) — one tool
  process per batch; a batch that times out or crashes is split in halves and retried, so a
  single pathological file ends up alone with status "timeout"/"error: ..." and the others keep
  their results;
* with ``allow_exec``, one test task per valid program that has a scenario, and one security-test
  task per valid program whose scenario has ``security_tests`` (C/C++: a sanitizer build).

Identical programs (same code, language, flags) are compiled and analyzed once; their tests run
once per scenario (same program, scenario id and test spec), since test results depend on the
scenario. Each result is cached under its content key as soon as it exists, which is also what
makes an interrupted run resumable.
"""

from __future__ import annotations

import dataclasses
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccodegen.findings import Finding
from seccodegen.interrupt import stoppable_pool
from seccodegen.judge import cwe_map
from seccodegen.judge.analyzers import ANALYZERS, AnalyzerCrash, IncompleteFindings, get_analyzer
from seccodegen.judge.analyzers.base import files_hash
from seccodegen.judge.cache import ResultCache, cache_key
from seccodegen.judge.compilers import get_compiler
from seccodegen.judge.config import JudgeConfig
from seccodegen.judge.items import EXTENSIONS, JudgeItem
from seccodegen.judge.prefix_headers import PrefixHeaders
from seccodegen.progress import progress_bar

BATCH_BASE_TIMEOUT_S = 30.0  # tool start-up allowance per batch, seconds
COMPILE_BATCH_SIZE = 10  # programs per sandboxed compile job (starting a sandbox costs ~70 ms)
Task = tuple[Callable[[], Any], Callable[[Any], None], int]  # (work, on_done, n_items)


@dataclass
class Analysis:
    """What the engine found for one distinct program."""

    valid: bool = False  # compiles (C/C++: to an object file)
    compile_error: str | None = None
    compiler_status: str = "missing"
    links: bool | None = None  # links into a program; None when it does not compile
    link_error: str | None = None
    findings: list[Finding] = field(default_factory=list)
    analyzers: dict[str, str] = field(default_factory=dict)  # name -> ok|missing|timeout|error: ...
    tests: dict[str, Any] | None = None  # {passed, n_passed, n_total, failures}
    security_tests: dict[str, Any] | None = None  # same shape; passed = no attack had an effect
    exploited: bool | None = None  # a security test failed; None: none ran (or the build failed)

    def set_validity(
        self, status: str, valid: bool, compile_error: str | None, links: bool | None, link_error: str | None
    ) -> None:
        """The compile's outcome (from the compiler, or from the cache with status "ok")."""
        self.compiler_status, self.valid, self.compile_error = status, valid, compile_error
        self.links, self.link_error = links, link_error


def selected_analyzers(cfg: JudgeConfig) -> list[str]:
    """The configured analyzers, else every registered one except those marked ``default = False``."""
    return list(cfg.analyzers) or [n for n in ANALYZERS.names() if getattr(ANALYZERS.get(n), "default", True)]


def _write_sources(items: dict[str, JudgeItem], root: Path) -> dict[str, Path]:
    """Each program in its own directory under its scenario file name (Main.java must be Main.java)."""
    paths: dict[str, Path] = {}
    for key, item in items.items():
        d = root / item.language / key[:16]
        d.mkdir(parents=True, exist_ok=True)
        name = item.source_name if item.language == "java" else f"s{key[:16]}{EXTENSIONS[item.language]}"
        p = d / name
        p.write_text(item.code, encoding="utf-8")
        paths[key] = p
    return paths


def _run_batch(
    analyzer: Any, files: list[Path], language: str, flags: tuple[str, ...], per_file_s: float,
    prefix_headers: PrefixHeaders | None = None,
) -> dict[Path, tuple[str, list[Finding]]]:
    """``{path: (status, findings)}``; splits the batch on timeout/crash down to single files.

    Analyzers with ``uses_prefix_headers`` also get the run's precompiled opening blocks."""
    timeout = BATCH_BASE_TIMEOUT_S + per_file_s * len(files)
    shares = prefix_headers is not None and getattr(analyzer, "uses_prefix_headers", False)
    extra = {"prefix_headers": prefix_headers} if shares else {}
    try:
        found = analyzer.run(files, language, timeout, flags, **extra)
        return {f: (_status_of(found.get(f, [])), list(found.get(f, []))) for f in files}
    except subprocess.TimeoutExpired:
        status = f"timeout (> {timeout:.0f} s)"
    except (AnalyzerCrash, OSError, ValueError, KeyError) as exc:
        status = f"error: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}"
    if len(files) == 1:
        return {files[0]: ("timeout" if status.startswith("timeout") else status, [])}
    mid = len(files) // 2
    out = _run_batch(analyzer, files[:mid], language, flags, per_file_s, prefix_headers)
    out.update(_run_batch(analyzer, files[mid:], language, flags, per_file_s, prefix_headers))
    return out


def _status_of(findings: list[Finding]) -> str:
    """"ok", or "error: ..." for the findings of a file only part of the analysis covered."""
    if isinstance(findings, IncompleteFindings):
        return f"error: {findings.reason.splitlines()[0][:200] if findings.reason else 'incomplete'}"
    return "ok"


def _validity_tasks(
    unique: dict[str, JudgeItem], paths: dict[str, Path], results: dict[str, Analysis], cache: ResultCache,
    prefixes: PrefixHeaders, cfg: JudgeConfig,
) -> list[Task]:
    """Fill ``results`` with cached compile results; one task per batch of the other programs
    that share a compile command (one sandboxed job compiles and links them one after another)."""
    compilers = {lang: get_compiler(lang) for lang in {i.language for i in unique.values()}}
    compiler_versions = {lang: c.version() for lang, c in compilers.items()}
    tasks: list[Task] = []
    pending: dict[tuple[str, tuple[str, ...], tuple[str, ...], bool], list[str]] = defaultdict(list)
    for key, item in unique.items():
        hit = cache.get(_compile_key(key, compiler_versions[item.language]))
        if hit is not None:
            results[key].set_validity("ok", hit["valid"], hit["compile_error"], hit["links"], hit["link_error"])
        else:
            pending[(item.language, item.flags, item.libs, item.scenario is None)].append(key)
    for (language, flags, libs, external), keys in pending.items():
        for start in range(0, len(keys), COMPILE_BATCH_SIZE):
            batch = keys[start : start + COMPILE_BATCH_SIZE]

            def work(batch=batch, language=language, flags=flags, libs=libs, external=external):
                return compilers[language].check_many(
                    [paths[k] for k in batch], flags, libs, cfg.compile_timeout_s, external=external,
                    prefix_headers=prefixes,
                )

            def done(validities, batch=batch):
                for key, v in zip(batch, validities):
                    # report the sample's own file name, not our temp path
                    error, link_error = (
                        e.replace(str(paths[key].resolve()), unique[key].source_name) if e else e
                        for e in (v.compile_error, v.link_error)
                    )
                    results[key].set_validity(v.status, v.valid, error, v.links, link_error)
                    if v.status == "ok":
                        cache.put(_compile_key(key, compiler_versions[unique[key].language]),
                                  {"valid": v.valid, "compile_error": error, "links": v.links,
                                   "link_error": link_error})  # fmt: skip

            tasks.append((work, done, len(batch)))
    return tasks


def _compile_key(build_key: str, compiler_version: str) -> str:
    # "object+link": valid = compiles with -c, links checked apart (older entries linked only)
    return cache_key("compile", build_key, compiler_version, "object+link")


def _tests_summary(outcome: Any) -> dict[str, Any]:
    return {
        "passed": bool(outcome.passed),
        "n_passed": int(outcome.n_passed),
        "n_total": int(outcome.n_total),
        "failures": outcome.failure_summary() if hasattr(outcome, "failure_summary") else "",
    }


def _run_tasks(tasks: list[Task], label: str, jobs: int, unit: str = "") -> None:
    """Run (work, on_done, n_items) tasks on a thread pool, longest first, with one progress bar."""
    # semgrep batches are the longest single tasks: start them first
    tasks = sorted(tasks, key=lambda t: -t[2])
    total_units = sum(t[2] for t in tasks)
    with progress_bar(label, total_units or None, unit) as advance, stoppable_pool(jobs) as pool:
        futures = {pool.submit(work): (done, n) for work, done, n in tasks}
        for fut in as_completed(futures):
            done, n = futures[fut]
            done(fut.result())
            advance(n)


def analyze(items: list[JudgeItem], cfg: JudgeConfig) -> list[Analysis]:
    """Judge every item (validity, findings, tests); returns one :class:`Analysis` per item, in order.

    Items with the same ``build_key`` share compile and analyzer results; test results are shared
    only by items with the same ``tests_key`` (the same program for the same scenario's tests).
    """
    if cfg.allow_exec:  # before any work: --allow-exec fails at once where the sandbox cannot run
        from seccodegen.sandbox import require_exec_allowed

        require_exec_allowed(cfg.allow_exec)
    cache = ResultCache(cfg.cache_path, read=cfg.use_cache)
    unique: dict[str, JudgeItem] = {}
    for item in items:
        unique.setdefault(item.build_key, item)
    results: dict[str, Analysis] = {key: Analysis() for key in unique}
    names = selected_analyzers(cfg)
    analyzers = {name: get_analyzer(name) for name in names}
    present = {item.language for item in unique.values()}
    analyzers = {name: a for name, a in analyzers.items() if present & set(a.languages)}
    available = {name: a.available() for name, a in analyzers.items()}
    # findings are cached with their CWE ids mapped, so the mapping table is part of the key
    mapping = files_hash([Path(cwe_map.__file__)])
    versions = {name: f"{a.version()} map:{mapping}" for name, a in analyzers.items() if available[name]}

    with tempfile.TemporaryDirectory(prefix="seccodegen-judge-") as tmp:
        paths = _write_sources(unique, Path(tmp))
        key_of_path = {p: k for k, p in paths.items()}
        programs = [(i.language, i.code) for i in unique.values()]
        prefixes = PrefixHeaders(Path(tmp) / "prefix-headers", programs, timeout_s=cfg.compile_timeout_s)
        # --- validity -------------------------------------------------------------------------
        tasks = _validity_tasks(unique, paths, results, cache, prefixes, cfg)
        if not cfg.analyze_invalid:  # compile everything first, then analyze the valid programs only
            _run_tasks(tasks, "judge: compile", cfg.n_jobs, "programs")
            tasks = []

        # --- analyzers: batches per (analyzer, language, flags) -------------------------------
        groups: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
        for key, item in unique.items():
            if not cfg.analyze_invalid and not results[key].valid:
                results[key].analyzers.update(
                    {n: "skipped: does not compile" for n, a in analyzers.items() if item.language in a.languages}
                )
                continue
            groups[(item.language, item.flags)].append(key)
        for name, analyzer in analyzers.items():
            for (language, flags), keys in groups.items():
                if language not in analyzer.languages:
                    continue
                if not available[name]:
                    for key in keys:
                        results[key].analyzers[name] = "missing"
                    continue
                todo: list[str] = []
                for key in keys:
                    hit = cache.get(cache_key("analyzer", name, key, versions[name]))
                    if hit is None:
                        todo.append(key)
                    else:
                        results[key].analyzers[name] = "ok"
                        results[key].findings.extend(Finding.from_dict(d) for d in hit["findings"])
                size = max(1, analyzer.batch_size)
                for start in range(0, len(todo), size):
                    batch = [paths[k] for k in todo[start : start + size]]

                    def work(analyzer=analyzer, batch=batch, language=language, flags=flags):
                        return _run_batch(analyzer, batch, language, flags, cfg.analyzer_timeout_s, prefixes)

                    def done(found, name=name):
                        for path, (status, findings) in found.items():
                            key = key_of_path[path]
                            item = unique[key]
                            fixed = [
                                dataclasses.replace(f, tool=name, file=item.source_name) for f in findings
                            ]
                            results[key].analyzers[name] = status
                            results[key].findings.extend(fixed)
                            if status == "ok":
                                cache.put(
                                    cache_key("analyzer", name, key, versions[name]),
                                    {"findings": [f.to_dict() for f in fixed]},
                                )

                    tasks.append((work, done, len(batch)))

        label = "judge: compile + analyze" if cfg.analyze_invalid else "judge: analyze"
        _run_tasks(tasks, label, cfg.n_jobs, "analyzer runs (program x analyzer)")

        # --- correctness (needs validity first) -----------------------------------------------
        tested: dict[str, Analysis] = {}
        if cfg.allow_exec:
            tested = _run_tests(items, results, cache, cfg)

    for res in results.values():
        res.findings.sort(key=lambda f: (f.line or 0, f.tool, f.rule))
    return [tested.get(item.tests_key or "") or results[item.build_key] for item in items]


def _run_tests(
    items: list[JudgeItem], results: dict[str, Analysis], cache: ResultCache, cfg: JudgeConfig
) -> dict[str, Analysis]:
    """Functional tests and security tests of every valid scenario program, cached by content
    (consent to execute was checked before any work, in ``analyze``).

    ``results`` holds the static results by ``build_key``; returns ``{tests_key: Analysis}``: each
    (program, scenario) pair's static results plus its own test results.
    """
    from seccodegen.scenarios.testing import (
        RUNNER_VERSION,
        SANITIZER_FLAGS,
        run_scenario_tests,
        run_security_tests,
        sanitizes,
    )

    runs: dict[str, JudgeItem] = {}  # tests key -> the first item with it
    for item in items:
        if item.scenario is not None and results[item.build_key].valid:
            runs.setdefault(item.tests_key, item)
    tested = {tk: dataclasses.replace(results[item.build_key]) for tk, item in runs.items()}
    todo: list[tuple[str, str, str]] = []  # (kind, tests key, cache key)
    for tk, item in runs.items():
        sc, key = item.scenario, item.build_key
        tkey = cache_key("tests", key, sc.id, repr(sc.tests), sc.suffix, RUNNER_VERSION)
        # the sanitizer build is part of the key, as a compiler version is part of a compile's
        skey = cache_key("security", key, sc.id, repr(sc.security_tests), sc.suffix, RUNNER_VERSION,
                         *(SANITIZER_FLAGS if sanitizes(sc) else ()), get_compiler(sc.language).version())  # fmt: skip
        for kind, ckey, wanted in (("tests", tkey, bool(sc.tests)), ("security", skey, bool(sc.security_tests))):
            if not wanted:
                continue
            hit = cache.get(ckey)
            if hit is None:
                todo.append((kind, tk, ckey))
            else:
                _store_tests(tested[tk], kind, hit)
    if not todo:
        return tested
    runner = {"tests": run_scenario_tests, "security": run_security_tests}
    with progress_bar("judge: unit and security tests", len(todo), "programs") as advance, stoppable_pool(cfg.n_jobs) as pool:
        futures = {
            pool.submit(runner[kind], runs[tk].scenario, runs[tk].code): (kind, tk, c) for kind, tk, c in todo
        }
        for fut in as_completed(futures):
            kind, tk, ckey = futures[fut]
            outcome = fut.result()
            summary = _tests_summary(outcome)
            if kind == "security":  # exploited: only a program that was built can be
                summary = {**summary, "exploited": None if outcome.compile_error else not outcome.passed}
            _store_tests(tested[tk], kind, summary)
            if not any(r.timed_out for r in outcome.results):  # a timeout may be the machine's load
                cache.put(ckey, summary)
            advance(1)
    return tested


def _store_tests(res: Analysis, kind: str, summary: dict[str, Any]) -> None:
    if kind == "tests":
        res.tests = summary
    else:
        res.exploited = summary["exploited"]
        res.security_tests = {k: v for k, v in summary.items() if k != "exploited"}
