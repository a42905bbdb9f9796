"""The project's own analyzers over benchmarks/data/weakness_pairs.jsonl: hand-written programs,
each weakness beside its fix, in the styles code models write them (docs/judge.md, "Hand-written
weakness pairs"). Every vulnerable program must be flagged and every fix not, except the wrong
verdicts listed in KNOWN_WRONG with the reason; an entry that starts passing fails the test too,
so the list stays true. The other analyzers (gcc, clang-tidy, cppcheck, semgrep) are left out
here to keep the test fast; the full judge's table is in the doc."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccodegen.judge.calibration import judge_cases
from seccodegen.judge.calibration_pairs import pair_cases
from seccodegen.judge.config import JudgeConfig
from seccodegen.judge.dataflow import frontend

pytestmark = pytest.mark.skipif(not frontend.available(), reason="libclang not installed")

PAIRS = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "weakness_pairs.jsonl"
SCANF = "scanf(\"%s\") into a fixed-size array is left to cppcheck's invalidscanf"
LOOKUP = "a lookup's NULL (getenv, strchr) is not a source of seccodegen's own null-deref (precision); cppcheck and gcc's analyzer report it"
KNOWN_WRONG: dict[str, str] = {
    "strcat_path:after": "a validation loop walking the name with a pointer (*p == '/') is not read as a path check (CodeQL's cpp/path-injection accepts no C check either)",
    "add_len:before": "an unsigned short truncating a sum of strlen() lengths: lengths of existing memory are never reported",
    "counter_loop:before": "a short counter incremented once per input line: a count is not input arithmetic",
    "unique_ptr_get:before": "a raw pointer from a unique_ptr that went out of scope: smart-pointer lifetimes are not modelled",
    "zip_entry:after": "seccodegen-checks' path-from-input wants every parameter joined into a path inspected, the destination folder's too (one lenient inspection must not excuse another parameter)",
    "getenv_deref:before": LOOKUP,
    "strchr_deref:before": LOOKUP,
    "reverse_copy:before": "the destination is a pointer parameter whose size only the caller knows (taking the callers' array size flagged 14 more samples of the fresh cells, none exploited)",
    "realloc_grow_index:before": "a growth test off by one (`if (n > cap)` before `v[n++] = x`): the element count of a block that realloc() resizes is not tracked",
    "size_t_mul:before": "malloc(n * sizeof(point)) with an unsigned 32-bit n cannot wrap size_t (CodeQL's cpp/uncontrolled-allocation-size stops at arithmetic its range analysis proves in range): a large request, no overflow",
    "scanf_s:before": SCANF,
    "scanf_word:before": SCANF,
    "login_prompt_scanf:before": SCANF,
    "full_name_concat:before": "strcat of further strings into a block sized for the first one (malloc(strlen(first) + 1)): lengths of strings of unknown length are not added up; the other analyzers of the full judge report it",
    "average_readings_vector:before": "i <= v.size() reads v[v.size()]: a std::vector index is bounded by any check that reads size(), however it compares",
    "inventory_sold_out:before": "a free two calls deep (remove_item() calls item_free()): frees are followed one call away",
}


def test_own_analyzers_on_the_weakness_pairs(tmp_path: Path) -> None:
    cases = pair_cases(PAIRS)
    assert len(cases) == 2 * 384
    cfg = JudgeConfig(cache_dir=str(tmp_path / "cache"), analyzers=("seccodegen-dataflow", "seccodegen-checks"))
    wrong, fixed = [], []
    for o in judge_cases(cases, cfg):
        name = o.case.name.split(":", 2)[2]  # "<file>:<line>:<func_name>:<before|after>"
        right = bool(o.judged_vulnerable) is o.case.vulnerable
        if name in KNOWN_WRONG:
            if right:
                fixed.append(name)
        elif not right:
            wrong.append(name)
    assert not wrong, f"wrong verdicts not in KNOWN_WRONG: {wrong}"
    assert not fixed, f"now right, remove from KNOWN_WRONG: {fixed}"
