"""Chat framing of training records: an instruction becomes one user turn of the model's chat
template and the code becomes the assistant's answer, inside a code fence, exactly the form in
which ``seccodegen sample --chat`` asks for code (``scenarios/prompts/style.py``: the generation
prompt, then an opening fence line). Only the answer carries loss; the template's text is context.

Used when ``TrainConfig.chat_template`` is on and a record carries an ``instruction`` (the pair
readers take it from SafeCoder's ``description``), and for mixed-in instruction data (the
instruction and input as the user turn, the output as the answer).
"""

from __future__ import annotations

from typing import Any

from seccodegen.errors import InputError
from seccodegen.scenarios.prompts.style import CODE_FENCE_LANGUAGE

Frame = tuple[str, str]  # (text before the answer, text after it)
NO_FRAME: Frame = ("", "")


def chat_head(tokenizer: Any, user_text: str) -> str:
    """The chat template of one user turn, ending with the generation prompt (untokenized)."""
    if not getattr(tokenizer, "chat_template", None):
        raise InputError("chat_template=true needs a tokenizer with a chat template; this model has none")
    head = tokenizer.apply_chat_template(
        [{"role": "user", "content": user_text}], add_generation_prompt=True, tokenize=False
    )
    return head if isinstance(head, str) else head[0]


def code_frame(tokenizer: Any, instruction: str, language: str | None) -> Frame:
    """Frame for code answering ``instruction``: head + opening fence, then a closing fence."""
    fence = CODE_FENCE_LANGUAGE.get(language or "", "")
    return chat_head(tokenizer, instruction.strip()) + f"```{fence}\n", "\n```"


def record_frame(tokenizer: Any, record: dict[str, Any], enabled: bool) -> Frame:
    """The frame of one dataset record: a code frame when enabled and it has an instruction."""
    instruction = record.get("instruction")
    if not enabled or not isinstance(instruction, str) or not instruction.strip():
        return NO_FRAME
    return code_frame(tokenizer, instruction, record.get("language"))
