"""Which files are source code of a supported language, and which paths are test-only."""

from __future__ import annotations

import re

LANGUAGES = ("c", "cpp", "java", "python")

# File extension (lower case) -> language. ``.h`` is read as C: C++ headers parse well enough
# with the C grammar for function/block cutting, and most ``.h`` files in these corpora are C.
EXTENSIONS = {
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".c++": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
    ".java": "java",
    ".py": "python",
}

# Names used by datasets for a language (BigVul ``lang``, CVEfixes ``programming_language``, CrossVul dirs).
LANGUAGE_ALIASES = {
    "c": "c",
    "c++": "cpp",
    "cpp": "cpp",
    "cxx": "cpp",
    "java": "java",
    "python": "python",
    "py": "python",
}

TEST_DIR_RE = re.compile(
    r"(^|/)(tests?|testing|testsuite|unittests?|regress(ion)?|fuzz(ing)?|oss-fuzz|__tests__)(/|$)",
    re.IGNORECASE,
)


def language_of_path(path: str) -> str | None:
    """Language of a file from its extension, or None if it is not C/C++/Java/Python."""
    dot = path.rfind(".")
    if dot < 0 or "/" in path[dot:]:
        return None
    return EXTENSIONS.get(path[dot:].lower())


def language_from_name(name: str | None) -> str | None:
    """Normalise a dataset's language label (``C++``, ``py`` ...) to ours, or None if unsupported."""
    if not name:
        return None
    return LANGUAGE_ALIASES.get(str(name).strip().lower())


def is_test_path(path: str) -> bool:
    """True for files under a test/fuzz/regression directory or named like a test file."""
    if TEST_DIR_RE.search(path):
        return True
    base = path.rsplit("/", 1)[-1].lower()
    return base.startswith("test_") or base.endswith(("_test.py", "_test.c", "_test.cc", "test.java"))
