"""Calibration on real code: SVEN/SafeCoder before/after-fix function pairs (C and C++ only).

Each pair record (``func_src_before``, ``func_src_after``, ``file_name``, ``vul_type``; the format
of SVEN's ``cwe-*.jsonl`` and SafeCoder's ``sec*-desc.jsonl``) gives two calibration cases: the
function before the fix is a positive for its CWE, the function after the fix a negative. Each
function is judged as an external record would be: its code alone (no ``main``, the project's
types undeclared, so it does not compile and only the analyzers' static view counts), the
language from the file extension, the target CWE from ``vul_type``. Pairs that occur in several
files (SafeCoder reuses SVEN's) are counted once; records of other languages are skipped.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from seccodegen.errors import InputError
from seccodegen.findings import normalise_cwe
from seccodegen.judge.calibration import Case, Outcome
from seccodegen.judge.items import JudgeItem

# file extension -> judge language; ".C" is C++ by the usual convention, ".h" is taken as C
LANGUAGE_OF_EXTENSION = {
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".c++": "cpp", ".C": "cpp", ".hh": "cpp", ".hpp": "cpp",
}  # fmt: skip
PAIR_FIELDS = ("func_src_before", "func_src_after", "file_name", "vul_type")


def pair_language(file_name: str) -> str | None:
    """``"c"``/``"cpp"`` from a file name's extension (``.C`` is C++), else None."""
    suffix = Path(file_name).suffix
    return LANGUAGE_OF_EXTENSION.get(suffix) or LANGUAGE_OF_EXTENSION.get(suffix.lower())


def pair_files(root: Path) -> list[Path]:
    """The ``*.jsonl`` files under ``root`` (or ``root`` itself), sorted."""
    root = Path(root)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise InputError(f"--pairs {root}: no such file or directory")
    files = sorted(root.rglob("*.jsonl"))
    if not files:
        raise InputError(f"--pairs {root}: holds no *.jsonl files (SVEN/SafeCoder pair records)")
    return files


def pair_cases(root: Path) -> list[Case]:
    """Two cases per distinct C/C++ pair under ``root``: ``before`` vulnerable, ``after`` fixed."""
    cases: list[Case] = []
    seen: set[str] = set()
    for path in pair_files(root):
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(
                        f"{path}:{lineno}: not JSON ({exc.msg}); fix or remove the line"
                    ) from None
                if not isinstance(rec, dict) or not all(isinstance(rec.get(k), str) for k in PAIR_FIELDS):
                    continue  # other record kinds (e.g. SafeCoder's general instruction data)
                language = pair_language(rec["file_name"])
                if language is None:
                    continue
                try:
                    cwe = normalise_cwe(rec["vul_type"])
                except ValueError:
                    raise InputError(
                        f"{path}:{lineno}: vul_type {rec['vul_type']!r} is not a CWE id like 'cwe-787'"
                    ) from None
                before, after = rec["func_src_before"], rec["func_src_after"]
                key = hashlib.sha256(
                    f"{language}\0{before}\0{after}".encode("utf-8", "surrogatepass")
                ).hexdigest()
                if key in seen or before == after:
                    continue
                seen.add(key)
                stem = f"{path.parent.name}/{path.stem}:{lineno}:{rec.get('func_name') or '?'}"
                source_name = Path(rec["file_name"]).name
                for side, code in (("before", before), ("after", after)):
                    item = JudgeItem(code=code, language=language, target_cwe=cwe, source_name=source_name)
                    cases.append(Case(f"{stem}:{side}", cwe, item, side == "before"))
    return cases


def pairs_summary(outcomes: list[Outcome]) -> str:
    """One line: of the pairs, how many the judge tells apart (before flagged, after not), and the reverse."""
    by_stem: dict[str, dict[bool, bool]] = {}
    for o in outcomes:
        stem = o.case.name.rsplit(":", 1)[0]
        by_stem.setdefault(stem, {})[o.case.vulnerable] = o.judged_vulnerable is True
    told = sum(v.get(True, False) and not v.get(False, False) for v in by_stem.values())
    both = sum(v.get(True, False) and v.get(False, False) for v in by_stem.values())
    wrong = sum(v.get(False, False) and not v.get(True, False) for v in by_stem.values())
    return (
        f"pairs: {len(by_stem)}; told apart (before flagged, after not): {told}; "
        f"both flagged: {both}; only the fix flagged: {wrong}"
    )
