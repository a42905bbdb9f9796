"""peft and transformers across versions: calls whose deprecation warnings a user cannot act on.

transformers 5.x renamed gradient checkpointing to activation checkpointing and warns on the old
names; peft (0.21) still reads ``model.is_gradient_checkpointing`` whenever it wraps or loads an
adapter, so every training run and every sample of an adapter printed a FutureWarning about code
that is not ours. These helpers call the new names where they exist and silence only that one
warning around peft's calls; ``bare_model`` reaches under a peft wrapper.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PEFT_DEPRECATION = "`is_gradient_checkpointing` is deprecated"


def bare_model(model: Any) -> Any:
    """The transformers model under a peft wrapper (``PeftModel.get_base_model()``), or ``model``
    itself when it has no adapter."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


@contextmanager
def quiet_peft_deprecation() -> Iterator[None]:
    """Around ``get_peft_model`` / ``PeftModel.from_pretrained``: drop peft's read of the deprecated
    ``is_gradient_checkpointing`` (FutureWarning) and nothing else."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=PEFT_DEPRECATION, category=FutureWarning)
        yield


def enable_activation_checkpointing(model: Any) -> None:
    """Recompute activations in the backward pass (non-reentrant): ``activation_checkpointing_enable``
    where transformers has it (it is absent from 5.17, present in 5.25), else the older
    ``gradient_checkpointing_enable``."""
    enable = getattr(model, "activation_checkpointing_enable", None)
    if enable is not None:
        enable(activation_checkpointing_kwargs={"use_reentrant": False})
    else:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
