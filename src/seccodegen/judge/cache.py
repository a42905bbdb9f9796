"""Content-addressed result cache: one small JSON file per (sample content, component) key.

Keys include the code's sha256, language, compile flags and the tool's version (and, for
semgrep, a hash of the shipped rules), so a changed tool or rule never serves a stale result.
Only definitive results are stored ("ok"); timeouts, crashes and missing tools are retried.

Only the judge process writes the cache (sandboxed jobs never see it). Each entry also stores
its own key and an HMAC-SHA256 of key and value under a per-cache secret (``.secret``, mode
0600, never shown to a job); :meth:`ResultCache.get` treats an entry whose key or MAC does not
match as a miss, so a copied, renamed or edited entry cannot change another sample's verdict.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from pathlib import Path
from typing import Any

CACHE_SCHEMA = 2  # bump to invalidate every cached entry (2: entries carry key and MAC)


def cache_key(*parts: str) -> str:
    h = hashlib.sha256(f"v{CACHE_SCHEMA}".encode())
    for part in parts:
        h.update(b"\0" + part.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class ResultCache:
    def __init__(self, root: Path, read: bool = True) -> None:
        self.root = Path(root)
        self.read = read
        self._secret: bytes | None = None
        self._lock = threading.Lock()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def secret(self) -> bytes:
        """The cache's MAC key, created (0600) on first use."""
        with self._lock:
            if self._secret is None:
                path = self.root / ".secret"
                self.root.mkdir(parents=True, exist_ok=True)
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "wb") as f:
                        f.write(os.urandom(32))
                except FileExistsError:
                    pass
                self._secret = path.read_bytes()
            return self._secret

    def _mac(self, key: str, body: str) -> str:
        return hmac.new(self.secret(), f"{key}\0{body}".encode(), hashlib.sha256).hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        if not self.read:
            return None
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
            body = json.dumps(entry["value"], sort_keys=True)
            if entry["key"] != key or not hmac.compare_digest(entry["mac"], self._mac(key, body)):
                return None
            return entry["value"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, value: dict[str, Any]) -> None:
        p = self._path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps(value, sort_keys=True)
        entry = {"key": key, "value": value, "mac": self._mac(key, body)}
        tmp = p.with_name(f"{p.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(entry, sort_keys=True), encoding="utf-8")
        os.replace(tmp, p)  # atomic: concurrent writers of one key write the same content
