"""The one ``Finding`` type every analyzer emits (semgrep/SARIF-like)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    tool: str  # analyzer name in the registry, e.g. "cppcheck"
    rule: str  # the tool's own rule/check id, e.g. "bufferAccessOutOfBounds"
    message: str
    line: int | None = None  # 1-based line in the judged file
    column: int | None = None
    file: str = ""  # path as the tool reported it (usually the sample's temp file name)
    cwe_ids: tuple[str, ...] = field(default_factory=tuple)  # normalised "CWE-787"
    severity: str = "warning"  # "error" | "warning" | "note"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["cwe_ids"] = list(self.cwe_ids)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        return cls(
            tool=d["tool"],
            rule=d["rule"],
            message=d.get("message", ""),
            line=d.get("line"),
            column=d.get("column"),
            file=d.get("file", ""),
            cwe_ids=tuple(d.get("cwe_ids", ())),
            severity=d.get("severity", "warning"),
        )


def normalise_cwe(value: str | int) -> str:
    """``787``, ``"cwe-787"``, ``"CWE787"`` -> ``"CWE-787"``; raises ValueError otherwise."""
    s = str(value).strip().upper().replace("_", "-")
    if s.startswith("CWE"):
        s = s[3:].lstrip("-: ")
    if not s.isdigit():
        raise ValueError(f"not a CWE id: {value!r}")
    return f"CWE-{int(s)}"
