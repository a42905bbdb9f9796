"""seccodegen-dataflow: the dataflow core's queries (NULL dereference, use after free / double
free, path traversal, command injection, integer overflow, out-of-bounds accesses, overflows of
buffers of known size) on clang's AST; see ``judge/dataflow/``.

One child process per batch (``python -m seccodegen.judge.dataflow.batch``): libclang runs in
it, so a crash or a timeout ends only that process, and the engine splits the batch as for any
tool. Findings carry the query's CWE ids.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import seccodegen
from seccodegen.findings import Finding
from seccodegen.judge.analyzers.base import ANALYZERS, AnalyzerCrash, files_hash, resolve, run_tool

TOOL = "seccodegen-dataflow"
VERSION = "1"
PACKAGE = Path(__file__).resolve().parents[1] / "dataflow"


@ANALYZERS.register(TOOL)
class Dataflow:
    name = TOOL
    languages = ("c", "cpp")
    batch_size = 25  # C++ files parse in ~0.5-2 s each; keep batches short enough to split well

    def version(self) -> str:
        from seccodegen.judge.dataflow import frontend

        return f"{VERSION}:{files_hash(sorted(PACKAGE.rglob('*.py')))} {frontend.version()}"

    def available(self) -> bool:
        from seccodegen.judge.dataflow import frontend

        return frontend.available()

    def run(
        self, files: list[Path], language: str, timeout: float, flags: Sequence[str] = ()
    ) -> dict[Path, list[Finding]]:
        by_name = resolve(files)
        # the child (in the sandbox) imports this same copy of the package, shown read-only there
        src = str(Path(seccodegen.__file__).resolve().parents[1])
        argv = [sys.executable, "-m", "seccodegen.judge.dataflow.batch", language,
                *[str(f) for f in files], "--", *flags]  # fmt: skip
        proc = run_tool(argv, timeout, env={"PYTHONPATH": src}, ro_paths=[src])
        if proc.returncode != 0:
            raise AnalyzerCrash(f"dataflow exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
        out: dict[Path, list[Finding]] = {}
        for line in proc.stdout.splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            path = by_name.get(rec.get("file", ""))
            if path is None:
                continue
            if "error" in rec:  # the engine splits the batch, so the file ends alone with this error
                raise AnalyzerCrash(f"dataflow: {Path(rec['file']).name}: {rec['error']}")
            out.setdefault(path, []).append(
                Finding(tool=TOOL, rule=rec["rule"], message=rec["message"], line=rec["line"],
                        column=rec["column"], file=str(path), cwe_ids=tuple(rec["cwe_ids"]))  # fmt: skip
            )
        return out
