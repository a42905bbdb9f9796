"""Fuzz suite options: bounded examples by default, many more under --run-slow; prints the tally."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the tests import fuzz_harness (importlib mode)


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--run-slow", default=False):
        os.environ["SECCODEGEN_FUZZ_SLOW"] = "1"


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    from fuzz_harness import OUTCOMES, TALLY

    if not TALLY:
        return
    tr = terminalreporter
    tr.write_sep("-", "fuzz outcomes per input kind")
    tr.write_line(f"{'input kind':32}" + "".join(f"{o:>8}" for o in OUTCOMES) + f"{'total':>8}")
    for kind in sorted(TALLY):
        c = TALLY[kind]
        tr.write_line(f"{kind:32}" + "".join(f"{c[o]:>8}" for o in OUTCOMES) + f"{sum(c.values()):>8}")
    path = os.environ.get("SECCODEGEN_FUZZ_TALLY")
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({k: dict(v) for k, v in TALLY.items()}, fh, indent=1, sort_keys=True)
