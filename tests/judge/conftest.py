"""Fixtures of the judge tests: the scripts under scripts/ that read or rewrite judged records."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

SCRIPTS = Path(__file__).parents[2] / "scripts"


def load_script(name: str) -> ModuleType:
    """Import ``scripts/<name>.py`` as a module (with scripts/ on sys.path while it imports, as
    when it runs: some import their neighbours; registered in sys.modules, which dataclasses need)."""
    sys.path.insert(0, str(SCRIPTS))
    try:
        spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(SCRIPTS))


@pytest.fixture()
def script() -> Callable[[str], ModuleType]:
    """``script("rejudge_compare")``: the module of scripts/rejudge_compare.py."""
    return load_script
