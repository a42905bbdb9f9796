"""The one reading layer for input files: every stage and reader opens its inputs through here.

* :mod:`.files`: refuse what is not a regular file (directory, FIFO, dangling link, link loop)
  before opening, decode UTF-8 with an error naming file, line and byte offset, and turn gzip
  damage (truncated download, plain text named ``.gz``) into one line.
* :mod:`.structured`: JSON and YAML parsing with limits on nesting depth and YAML alias expansion.
* :mod:`.schema`: column specs (type and allowed values) that tables and records are checked against.
* :mod:`.sqlite`: read-only SQLite with named missing columns and corrupt pages as one line.

Every problem is an :class:`seccodegen.errors.InputError` (the CLI prints it and exits 2).
"""

from seccodegen.inputs.files import (
    Line,
    check_dir,
    check_file,
    decode_bytes,
    iter_lines,
    read_bytes,
    read_text,
)
from seccodegen.inputs.structured import MAX_DEPTH, parse_json, parse_yaml

__all__ = [
    "MAX_DEPTH",
    "Line",
    "check_dir",
    "check_file",
    "decode_bytes",
    "iter_lines",
    "parse_json",
    "parse_yaml",
    "read_bytes",
    "read_text",
]
