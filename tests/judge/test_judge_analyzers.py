"""Each analyzer on a tiny vulnerable and a tiny safe fixture (skipped when the tool is missing)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from seccodegen.judge.analyzers import ANALYZERS, get_analyzer
from seccodegen.judge.cwe_map import is_vulnerable

FIX = Path(__file__).parents[1] / "fixtures" / "judge"

# analyzer -> (language, vulnerable fixture, safe fixture, target CWE)
CASES = {
    "gcc-warnings": ("c", "copy_vuln.c", "copy_safe.c", "CWE-787"),
    "gcc-analyzer": ("c", "uaf_vuln.c", "uaf_safe.c", "CWE-416"),
    "clang-tidy": ("c", "fmt_vuln.c", "fmt_safe.c", "CWE-134"),
    "cppcheck": ("c", "oob_vuln.c", "oob_safe.c", "CWE-787"),
    "frama-c-eva": ("c", "oob_vuln.c", "oob_safe.c", "CWE-787"),
    "bandit": ("python", "cmd_vuln.py", "cmd_safe.py", "CWE-78"),
    "seccodegen-checks": ("cpp", "sql_vuln.cpp", "sql_safe.cpp", "CWE-89"),
    "seccodegen-dataflow": ("c", "cmd_vuln.c", "cmd_safe.c", "CWE-78"),
}


def _analyzer_or_skip(name: str):
    analyzer = get_analyzer(name)
    if not analyzer.available():
        pytest.skip(f"{name} is not installed")
    return analyzer


def test_every_registered_analyzer_is_tested() -> None:
    assert set(ANALYZERS.names()) == set(CASES) | {"semgrep"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_analyzer_flags_vulnerable_and_not_safe(name: str, tmp_path: Path) -> None:
    analyzer = _analyzer_or_skip(name)
    language, vuln, safe, cwe = CASES[name]
    files = []
    for fixture in (vuln, safe):
        dst = tmp_path / fixture
        shutil.copy(FIX / fixture, dst)
        files.append(dst)
    found = analyzer.run(files, language, timeout=120)  # one batch, both files
    assert is_vulnerable(found.get(files[0], []), cwe), found
    assert not is_vulnerable(found.get(files[1], []), cwe), found[files[1]]
    for f in found.get(files[0], []):
        assert f.line is not None and f.rule


def test_semgrep_rules_batch_over_languages(tmp_path: Path) -> None:
    analyzer = _analyzer_or_skip("semgrep")
    cases = {"java_vuln/Main.java": True, "java_safe/Main.java": False}
    files = {}
    for rel, vulnerable in cases.items():
        dst = tmp_path / rel
        dst.parent.mkdir(parents=True)
        shutil.copy(FIX / rel, dst)
        files[dst] = vulnerable
    found = analyzer.run(list(files), "java", timeout=300)
    for path, vulnerable in files.items():
        assert is_vulnerable(found.get(path, []), "CWE-89") is vulnerable, (path, found.get(path))


def test_crashing_batch_is_split_and_reported(tmp_path: Path) -> None:
    from seccodegen.judge.analyzers.base import AnalyzerCrash
    from seccodegen.judge.engine import _run_batch

    class Flaky:
        name = "flaky"

        def run(self, files, language, timeout, flags=()):
            if any(f.name == "bad.c" for f in files):
                raise AnalyzerCrash("boom")
            return {}

    files = [tmp_path / n for n in ("a.c", "bad.c", "b.c")]
    out = _run_batch(Flaky(), files, "c", (), 1.0)
    assert out[files[0]][0] == "ok" and out[files[2]][0] == "ok"
    assert out[files[1]][0].startswith("error: boom")
