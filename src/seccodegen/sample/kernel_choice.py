"""The choice between a Triton kernel of our own and its PyTorch path (options ``auto|triton|torch``).

``decode_attention`` and ``sampling_kernel`` work the same way: ``torch`` always takes the PyTorch
path (to repeat samples made before the kernel); ``auto`` takes the kernel where it can run and
passes a check against a reference on a small case before first use, else the PyTorch path, with
a warning when Triton is there but the kernel failed or disagreed; ``triton`` requires the kernel
and says in one line why it cannot run.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable
from typing import Any

from seccodegen.errors import ModelLoadError

KERNEL_CHOICES = ("auto", "triton", "torch")


def error_line(exc: BaseException) -> str:
    """``Type: first line of the message``: a third-party kernel's failure, said in one line."""
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def triton_missing(device: Any) -> str | None:
    """Why no Triton kernel can run for tensors on ``device`` (a torch device or its name), or None."""
    if getattr(device, "type", str(device)).split(":")[0] != "cuda":
        return "the model is not on a GPU"
    if importlib.util.find_spec("triton") is None:
        return "Triton is not installed (it comes with PyTorch's CUDA wheels)"
    return None


def kernel_or_torch(
    option: str,
    choice: str,
    reason: str | None,
    make: Callable[[], Any],
    check: Callable[[Any], str | None],
    torch_path: Any,
    label: str,
) -> Any:
    """``make()``'s kernel if ``reason`` is None and ``check(kernel)`` passes, else ``torch_path``.

    ``option``/``choice``: the option's name and value (``torch`` returns ``torch_path`` without
    trying the kernel); ``reason``: why the kernel cannot run here, found by the caller (None: it
    can); ``label`` names the kernel in the warning.
    """
    if choice not in KERNEL_CHOICES:
        raise ValueError(f"{option} must be one of {', '.join(KERNEL_CHOICES)}, got {choice!r}")
    if choice == "torch":
        return torch_path
    kernel, tried = None, reason is None
    if tried:
        try:
            kernel = make()
            reason = check(kernel)
        except Exception as exc:  # noqa: BLE001  (a Triton/driver failure: fall back, say why)
            reason = f"it fails on this GPU ({error_line(exc)})"
    if reason is None:
        return kernel
    if choice == "triton":
        raise ModelLoadError(f"{option}: triton was requested, but {reason}; set it to auto or torch")
    if tried:  # Triton is there but the kernel failed or disagreed: say so once
        warnings.warn(f"{label} not used: {reason}", RuntimeWarning, stacklevel=3)
    return torch_path
