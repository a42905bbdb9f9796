"""The judge's finding type: re-exports the project's one :class:`seccodegen.findings.Finding`."""

from seccodegen.findings import Finding, normalise_cwe

__all__ = ["Finding", "normalise_cwe"]
