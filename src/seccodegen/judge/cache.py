"""Content-addressed result cache: one small JSON file per (sample content, component) key.

Keys include the code's sha256, language, compile flags and the tool's version (and, for
semgrep, a hash of the shipped rules), so a changed tool or rule never serves a stale result.
Only definitive results are stored ("ok"); timeouts, crashes and missing tools are retried.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

CACHE_SCHEMA = 1  # bump to invalidate every cached entry


def cache_key(*parts: str) -> str:
    h = hashlib.sha256(f"v{CACHE_SCHEMA}".encode())
    for part in parts:
        h.update(b"\0" + part.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class ResultCache:
    def __init__(self, root: Path, read: bool = True) -> None:
        self.root = Path(root)
        self.read = read

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        if not self.read:
            return None
        try:
            return json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None

    def put(self, key: str, value: dict[str, Any]) -> None:
        p = self._path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f"{p.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(value, sort_keys=True), encoding="utf-8")
        os.replace(tmp, p)  # atomic: concurrent writers of one key write the same content
