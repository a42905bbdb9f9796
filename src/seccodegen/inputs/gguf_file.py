"""GGUF model files checked before conversion: an interrupted download or flipped header bytes
is one line ("download it again"), not ``struct.error`` from deep inside transformers."""

from __future__ import annotations

from pathlib import Path

from seccodegen.errors import InputError
from seccodegen.inputs.files import check_file


def check_gguf(path: str | Path) -> Path:
    """Parse the header, metadata and tensor table; every tensor's bytes must lie inside the file."""
    import gguf

    p = check_file(path, "a .gguf model file")
    size = p.stat().st_size
    try:
        reader = gguf.GGUFReader(p)
        for tensor in reader.tensors:
            if tensor.data_offset + tensor.n_bytes > size:
                raise ValueError(f"tensor {tensor.name!r} ends past the end of the file")
        if not reader.tensors:
            raise ValueError("no tensors")
    except Exception as exc:  # the gguf parser raises ValueError, IndexError, struct.error, ... on damage
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise InputError(
            f"{p}: not a complete GGUF file ({first}); the download may be truncated, fetch it again"
        ) from None
    return p
