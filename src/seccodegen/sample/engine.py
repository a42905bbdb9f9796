"""Sampling engines: one interface, several backends (``hf``, ``hf-generate``, ``vllm``).

``make_engine(model, adapter, backend)`` loads a model once; ``engine.generate(prompts, n, ...)``
returns ``n`` :class:`Completion` per prompt. Backends register themselves in :data:`ENGINES`
(a name -> factory registry); their modules are imported on first use so that importing this
module never imports torch.

Stop handling (all backends): generation of a sequence ends at the first ``stop`` string in
its decoded text (the text is cut before it, ``finish_reason="stop"``), at an EOS token
(``"eos"``), or after ``max_new_tokens`` (``"length"``). The ``hf`` backend also takes
``stop_check(prompt_index, text) -> bool``: a predicate that ends a sequence early (finish
``"stop"``, text returned whole for the caller to cut), used to stop when the scenario's
function closes; a finished sequence stops costing compute once its whole group is done.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from seccodegen.registry import Registry

FinishReason = Literal["stop", "length", "eos"]
StopCheck = Callable[[int, str], bool]


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: FinishReason
    prompt_tokens: int
    completion_tokens: int


class Engine(Protocol):
    """What every backend provides."""

    name: str

    def generate(
        self,
        prompts: list[str],
        n: int,
        temperature: float,
        top_p: float,
        max_new_tokens: int,
        seed: int,
        stop: list[str] | None = None,
        *,
        prompt_seeds: Sequence[int] | None = None,
        sample_offsets: Sequence[int] | None = None,
        stop_check: StopCheck | None = None,
    ) -> list[list[Completion]]:
        """``n`` completions for each prompt, in prompt order.

        ``prompt_seeds`` (optional, one per prompt) fixes each prompt's random stream; by
        default it is derived from ``seed`` and the prompt's index. ``sample_offsets`` (one per
        prompt, default 0) numbers a prompt's samples from that offset, so samples
        ``offset .. offset+n-1`` of a stream can be drawn in separate calls. With the ``hf``
        backend sample ``k`` of a stream depends only on its prompt, the prompt seed and ``k``
        (not on the other prompts, the batch size or a resume); ``vllm`` seeds per call.
        """
        ...


EngineFactory = Callable[..., Engine]
ENGINES: Registry[EngineFactory] = Registry("sampling backend")

# modules that register backends when imported (kept lazy: they import torch / vllm)
_BACKEND_MODULES = (
    "seccodegen.sample.hf_engine",
    "seccodegen.sample.hf_generate_engine",
    "seccodegen.sample.vllm_engine",
)


def load_backends() -> Registry[EngineFactory]:
    for module in _BACKEND_MODULES:
        importlib.import_module(module)
    return ENGINES


def make_engine(
    model: str,
    adapter: str | None = None,
    backend: str = "hf",
    dtype: str | None = None,
    device: str | None = None,
    **options: object,
) -> Engine:
    """Load ``model`` (+ ``adapter``) behind the named backend. ``options`` go to the backend
    (``max_batch``: sequences decoded together; ``hf`` also ``check_every``)."""
    return load_backends().get(backend)(model=model, adapter=adapter, dtype=dtype, device=device, **options)


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """``text`` up to the earliest stop string (excluded); whether one was found."""
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)
