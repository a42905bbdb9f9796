"""Prompt styles: registered, end with the prompt code verbatim, chat-template variant."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccodegen.errors import SeccodegenError
from seccodegen.registry import UnknownNameError
from seccodegen.scenarios.cwe_catalog import cwe_catalog, describe_cwe
from seccodegen.scenarios.model import load_scenario, load_suite
from seccodegen.scenarios.prompts import PROMPT_STYLES, render_prompt

VALID = Path(__file__).parents[1] / "fixtures" / "scenarios" / "valid" / "copy-name.yaml"
STYLES = ["baseline", "generic", "specific"]


def test_three_styles_registered() -> None:
    assert PROMPT_STYLES.names() == STYLES


@pytest.mark.parametrize("style", STYLES)
def test_base_form_is_comment_then_prompt(style: str) -> None:
    s = load_scenario(VALID)
    text = render_prompt(s, style)
    assert text.endswith(s.prompt)
    header = text[: -len(s.prompt)]
    assert header and all(line.startswith("//") for line in header.splitlines())
    assert "Please complete the code." in header and s.description in header


def test_styles_differ_as_specified() -> None:
    s = load_scenario(VALID)
    baseline, generic, specific = (render_prompt(s, st) for st in STYLES)
    assert "secure" not in baseline
    assert "Make sure the code is secure and free of vulnerabilities" in generic and "CWE" not in generic
    assert "CWE-787" in specific and "Out-of-bounds Write" in specific


def test_python_uses_hash_comments() -> None:
    python = [s for s in load_suite() if s.language == "python"]
    if not python:
        pytest.skip("no python scenarios in the built-in suite yet")
    s = python[0]
    text = render_prompt(s, "specific")
    assert text.endswith(s.prompt) and text.startswith("# Please complete the code.")


@pytest.mark.parametrize("style", STYLES)
def test_chat_form_uses_the_template_and_opens_a_code_fence(style: str, tiny_tokenizer) -> None:
    s = load_scenario(VALID)
    text = render_prompt(s, style, tokenizer=tiny_tokenizer, chat=True)
    assert text.endswith("```c\n" + s.prompt)
    assert text.startswith("<|im_start|>user\nPlease complete the code.")
    assert s.description in text and "<|im_start|>assistant\n```c\n" in text


def test_chat_without_template_and_unknown_style(tiny_tokenizer) -> None:
    s = load_scenario(VALID)
    with pytest.raises(SeccodegenError, match="chat template"):
        render_prompt(s, "baseline", tokenizer=None, chat=True)
    with pytest.raises(UnknownNameError, match="known: baseline, generic, specific"):
        render_prompt(s, "paranoid")


def test_every_builtin_cwe_has_a_name_and_description() -> None:
    catalog = cwe_catalog()
    missing = sorted({s.cwe for s in load_suite()} - set(catalog))
    assert not missing, f"add these CWEs to scenarios/cwe_catalog.yaml: {missing}"
    for cwe, entry in catalog.items():
        assert set(entry) == {"name", "description"} and entry["name"] and entry["description"], cwe
    assert describe_cwe("CWE-99999") == "CWE-99999."
