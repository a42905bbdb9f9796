"""semgrep with the rules shipped in ``seccodegen/judge/rules/`` (no registry: it is offline).

Always ``--metrics=off --disable-version-check`` (else it tries the network and runs ~20x slower)
and an absolute ``--config`` path (a relative ``r/...`` is read as a registry rule id).
C rules are pattern rules: semgrep's taint tracking through C string copies is unreliable.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import yaml

from seccodegen.findings import Finding
from seccodegen.judge.analyzers.base import ANALYZERS, AnalyzerCrash, files_hash, resolve, tool_argv, which
from seccodegen.judge.cwe_map import map_rule

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
SEVERITY = {"ERROR": "error", "WARNING": "warning", "INFO": "note"}
PER_FILE_TIMEOUT_S = 10  # semgrep's own --timeout: seconds per rule per file


LANGUAGE_NAMES = {"c": "c", "cpp": "cpp", "c++": "cpp", "python": "python", "java": "java"}


def rule_files() -> list[Path]:
    return sorted(RULES_DIR.glob("*.yaml"))


@functools.lru_cache(maxsize=1)
def rule_languages() -> tuple[str, ...]:
    """Languages some shipped rule applies to (semgrep is not started for the others: ~2 CPU s each)."""
    langs: set[str] = set()
    for f in rule_files():
        for rule in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("rules", []):
            langs.update(LANGUAGE_NAMES.get(lang, lang) for lang in rule.get("languages", []))
    return tuple(sorted(langs))


@ANALYZERS.register("semgrep")
class Semgrep:
    name = "semgrep"
    languages = ("c", "cpp", "python", "java")  # narrowed to rule_languages() in __init__
    batch_size = 400  # semgrep's start-up costs ~2 CPU s: big batches

    def __init__(self) -> None:
        self.languages = rule_languages()

    def version(self) -> str:
        # `semgrep --version` checks for updates over the network (a minute offline): ask pip's metadata
        try:
            version = importlib.metadata.version("semgrep")
        except importlib.metadata.PackageNotFoundError:
            version = "unknown"
        return f"semgrep {version} rules:" + files_hash(rule_files())

    def available(self) -> bool:
        return which("semgrep") is not None and bool(rule_files())

    def run(
        self, files: list[Path], language: str, timeout: float, flags: Sequence[str] = ()
    ) -> dict[Path, list[Finding]]:
        by_name = resolve(files)
        argv = [
            "semgrep", "scan", "--metrics=off", "--disable-version-check", "--json", "--quiet",
            "--no-git-ignore", "--timeout", str(PER_FILE_TIMEOUT_S), "--config", str(RULES_DIR),
            *[str(f.resolve()) for f in files],
        ]  # fmt: skip
        env = {**os.environ, "SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}

        proc = subprocess.run(
            tool_argv(argv), capture_output=True, text=True, errors="replace", timeout=timeout, env=env
        )
        try:
            data = json.loads(proc.stdout)
        except json.JSONDecodeError:
            raise AnalyzerCrash(f"semgrep exited {proc.returncode}: {proc.stderr.strip()[-300:]}") from None
        out: dict[Path, list[Finding]] = {}
        for res in data.get("results", []):
            path = by_name.get(res["path"])
            if path is None:
                continue
            rule = res["check_id"].rsplit(".", 1)[-1]
            extra = res.get("extra", {})
            meta = extra.get("metadata", {})
            reported = meta.get("cwe", [])
            reported = [reported] if isinstance(reported, str) else reported
            reported = [c.split(":")[0] for c in reported]  # "CWE-78: OS Command Injection"
            out.setdefault(path, []).append(
                Finding(
                    tool=self.name,
                    rule=rule,
                    message=extra.get("message", "").strip(),
                    line=res["start"]["line"],
                    column=res["start"]["col"],
                    file=str(path),
                    cwe_ids=map_rule(self.name, rule, extra.get("message", ""), reported),
                    severity=SEVERITY.get(extra.get("severity", ""), "warning"),
                )
            )
        return out
