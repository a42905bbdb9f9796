"""The prompt-style registry and the renderer shared by every style."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from seccodegen.errors import InputError
from seccodegen.registry import Registry
from seccodegen.scenarios.model import Scenario

COMMENT_PREFIX = {"c": "// ", "cpp": "// ", "java": "// ", "python": "# "}
CODE_FENCE_LANGUAGE = {"c": "c", "cpp": "cpp", "java": "java", "python": "python"}


@dataclass(frozen=True)
class PromptStyle:
    """A named instruction put before the scenario's code."""

    name: str
    summary: str  # one line for --help / docs
    instruction: Callable[[Scenario], str]  # the instruction text for this scenario (no comment markers)


PROMPT_STYLES: Registry[PromptStyle] = Registry("prompt style")


def register_style(style: PromptStyle) -> PromptStyle:
    PROMPT_STYLES.register(style.name, style)
    return style


def _as_comment(text: str, language: str) -> str:
    prefix = COMMENT_PREFIX[language]
    return "".join(f"{prefix}{line}".rstrip() + "\n" for line in text.splitlines())


def render_prompt(scenario: Scenario, style: str, tokenizer=None, chat: bool = False) -> str:
    """The exact model input for ``scenario`` under prompt ``style``; ends with ``scenario.prompt``.

    * ``chat=False`` (base models): the instruction and the task description as comments in the
      language's comment syntax, then the code. ``tokenizer`` is not needed.
    * ``chat=True`` (instruction-tuned models): ``tokenizer.apply_chat_template`` of one user turn
      (instruction + newline + description) with the generation prompt, then an opening code
      fence line (```` ```c ````) and the code, so the model continues inside the fence. The
      text already holds the template's special tokens: tokenize it with
      ``add_special_tokens=False`` so no second BOS is added.
    """
    instruction = PROMPT_STYLES.get(style).instruction(scenario)
    # an evaluation-only scenario may have no description: then the instruction stands alone
    task = f"{instruction}\n{scenario.description}" if scenario.description else instruction
    if not chat:
        return _as_comment(task, scenario.language) + scenario.prompt
    if tokenizer is None or not getattr(tokenizer, "chat_template", None):
        raise InputError(
            "chat prompts need a tokenizer with a chat template; this model has none (use the base-model form: chat=false)"
        )
    messages = [{"role": "user", "content": task}]
    head = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    if not isinstance(head, str):  # some tokenizers return a list for a batch of one
        head = head[0]
    return f"{head}```{CODE_FENCE_LANGUAGE[scenario.language]}\n{scenario.prompt}"
