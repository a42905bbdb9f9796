"""``python -m seccodegen``: the CLI without an installed entry point (e.g. from a source tree)."""

from seccodegen.cli import main

main()
