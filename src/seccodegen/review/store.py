"""Labels in SQLite, written on every click (one row per item and reviewer, last answer wins)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

SECURITY = ("secure", "vulnerable", "unsure")
CORRECTNESS = ("correct", "incorrect", "unsure")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS labels (
  item_id TEXT NOT NULL,
  reviewer TEXT NOT NULL,
  security TEXT CHECK (security IN ('secure', 'vulnerable', 'unsure')),
  correctness TEXT CHECK (correctness IN ('correct', 'incorrect', 'unsure')),
  note TEXT NOT NULL DEFAULT '',
  updated REAL NOT NULL,
  PRIMARY KEY (item_id, reviewer)
);
"""


class LabelStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
        self._db.executescript(_SCHEMA)

    def save(self, item_id: str, reviewer: str, security: str | None, correctness: str | None, note: str = "") -> None:
        if security is not None and security not in SECURITY:
            raise ValueError(f"security must be one of {SECURITY}")
        if correctness is not None and correctness not in CORRECTNESS:
            raise ValueError(f"correctness must be one of {CORRECTNESS}")
        if not reviewer.strip():
            raise ValueError("reviewer name must not be empty")
        with self._lock:
            self._db.execute(
                "INSERT INTO labels VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(item_id, reviewer) DO UPDATE SET "
                "security = COALESCE(excluded.security, security), "
                "correctness = COALESCE(excluded.correctness, correctness), note = excluded.note, "
                "updated = excluded.updated",
                (item_id, reviewer.strip(), security, correctness, note, time.time()),
            )

    def labels(self, reviewer: str | None = None) -> list[dict[str, Any]]:
        q = "SELECT item_id, reviewer, security, correctness, note, updated FROM labels"
        args: tuple = ()
        if reviewer:
            q += " WHERE reviewer = ?"
            args = (reviewer,)
        with self._lock:
            rows = self._db.execute(q + " ORDER BY item_id, reviewer", args).fetchall()
        keys = ("item_id", "reviewer", "security", "correctness", "note", "updated")
        return [dict(zip(keys, r)) for r in rows]

    def close(self) -> None:
        self._db.close()
