"""CWE names and short descriptions for the ``specific`` prompt style (data: cwe_catalog.yaml)."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

CATALOG_FILE = Path(__file__).with_name("cwe_catalog.yaml")


@functools.lru_cache(maxsize=1)
def cwe_catalog() -> dict[str, dict[str, str]]:
    """``{"CWE-787": {"name": ..., "description": ...}, ...}``."""
    return yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8"))


def describe_cwe(cwe: str) -> str:
    """``"CWE-787 (Out-of-bounds Write), i.e. writing data past ... buffer."``; unknown ids give just the id."""
    entry = cwe_catalog().get(cwe)
    if entry is None:
        return f"{cwe}."
    return f"{cwe} ({entry['name']}), i.e. {entry['description']}."
