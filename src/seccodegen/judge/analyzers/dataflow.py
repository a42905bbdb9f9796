"""seccodegen-dataflow: the dataflow core's queries (NULL dereference, use after free / double
free, path traversal, command injection, uncontrolled format strings, integer overflow, out-of-bounds accesses, overflows of
buffers of known size, loop-advanced positions, input-sized allocations, empty containers,
unterminated copies: every query in ``QUERIES``) on clang's AST; see ``judge/dataflow/``.

One child process per batch (``python -m seccodegen.judge.dataflow.batch``): libclang runs in
it, so a crash or a timeout ends only that process, and the engine splits the batch as for any
tool. Findings carry the query's CWE ids.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import seccodegen
from seccodegen.findings import Finding
from seccodegen.judge.analyzers.base import (
    ANALYZERS,
    AnalyzerCrash,
    IncompleteFindings,
    files_hash,
    resolve,
    run_tool,
)
from seccodegen.judge.prefix_headers import HEADER_SUFFIX, PrefixHeaders, source_prefix

TOOL = "seccodegen-dataflow"
VERSION = "1"
PACKAGE = Path(__file__).resolve().parents[1] / "dataflow"


@ANALYZERS.register(TOOL)
class Dataflow:
    name = TOOL
    languages = ("c", "cpp")
    # a C++ file takes ~0.1-0.3 s with the run's shared precompiled headers, the child's start
    # (Python, libclang) ~0.4 s; a batch that crashes or times out is split and retried
    batch_size = 50
    uses_prefix_headers = True  # the libclang precompiled headers are shared between batches

    def version(self) -> str:
        from seccodegen.judge.dataflow import frontend

        return f"{VERSION}:{files_hash(sorted(PACKAGE.rglob('*.py')))} {frontend.version()}"

    def available(self) -> bool:
        from seccodegen.judge.dataflow import frontend

        return frontend.available()

    def run(
        self, files: list[Path], language: str, timeout: float, flags: Sequence[str] = (),
        prefix_headers: PrefixHeaders | None = None,
    ) -> dict[Path, list[Finding]]:
        by_name = resolve(files)
        # the child (in the sandbox) imports this same copy of the package, shown read-only there
        src = str(Path(seccodegen.__file__).resolve().parents[1])
        argv = [sys.executable, "-m", "seccodegen.judge.dataflow.batch", language,
                *[str(f) for f in files], "--", *flags]  # fmt: skip
        if prefix_headers is None:
            proc = run_tool(argv, timeout, env={"PYTHONPATH": src}, ro_paths=[src])
        else:
            proc = _run_sharing_prefixes(argv, files, language, flags, timeout, src, prefix_headers)
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
            if "failed" in rec:  # the other queries' hits stand; the file is not called analysed
                reason = f"query failed: {'; '.join(rec['failed'])}"
                out[path] = IncompleteFindings(out.get(path, []), reason)
                continue
            out.setdefault(path, []).append(
                Finding(tool=TOOL, rule=rec["rule"], message=rec["message"], line=rec["line"],
                        column=rec["column"], file=str(path), cwe_ids=tuple(rec["cwe_ids"]))  # fmt: skip
            )
        return out


def _run_sharing_prefixes(
    argv: list[str], files: list[Path], language: str, flags: Sequence[str], timeout: float, src: str,
    prefix_headers: PrefixHeaders,
) -> subprocess.CompletedProcess[str]:
    """Run the batch with the run's folder of libclang precompiled headers (read-only) and keep
    the ones it builds there for the batches that follow.

    The header of every opening block that two programs of the run share is written to that
    folder first: the child builds the precompiled header from it into its work dir, and the
    result is moved beside the header (it is only valid where its header is).
    """
    from seccodegen.judge.dataflow import frontend

    shared = prefix_headers.libclang_folder()
    args = frontend.clang_args(language, flags)
    for f in files:
        prefix = source_prefix(f)
        if prefix_headers.shared(language, prefix, 2):
            prefix_headers.write_once(shared / frontend.prefix_header_name(prefix, language, args), prefix)
    work = Path(tempfile.mkdtemp(prefix="dataflow-", dir=prefix_headers.root))
    try:
        env = {"PYTHONPATH": src, frontend.SHARED_PCH_ENV: str(shared), frontend.OUT_PCH_ENV: str(work)}
        proc = run_tool(argv, timeout, env=env, ro_paths=[src, shared], workdir=work)
        for pch in work.glob("*.pch"):
            if (shared / pch.name).with_suffix(HEADER_SUFFIX[language]).is_file():
                prefix_headers.move_once(pch, shared / pch.name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return proc
