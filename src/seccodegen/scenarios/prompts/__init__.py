"""Prompt styles: how a scenario becomes the model's exact input.

Each style is a :class:`PromptStyle` registered in :data:`PROMPT_STYLES` by its own module
(``baseline``, ``generic``, ``specific``). :func:`render_prompt` puts the style's instruction
above the scenario's code, either as a comment (base models) or as the user turn of the model's
chat template followed by an opening code fence (instruction-tuned models).

Contract: the rendered string always ENDS WITH ``scenario.prompt`` verbatim, so the model's
continuation is the completion (cut it with :func:`seccodegen.scenarios.splice.cut_completion`).
"""

from __future__ import annotations

from seccodegen.scenarios.prompts import baseline, generic, specific  # noqa: F401  (register)
from seccodegen.scenarios.prompts.style import (
    CODE_FENCE_LANGUAGE,
    COMMENT_PREFIX,
    PROMPT_STYLES,
    PromptStyle,
    render_prompt,
)

__all__ = ["CODE_FENCE_LANGUAGE", "COMMENT_PREFIX", "PROMPT_STYLES", "PromptStyle", "render_prompt"]
