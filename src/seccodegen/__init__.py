"""seccodegen: measure and improve how securely code LLMs write code."""

__version__ = "0.1.0"
