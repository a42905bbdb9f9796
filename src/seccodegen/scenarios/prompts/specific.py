"""``specific``: the generic instruction plus the scenario's CWE id, name and description."""

from seccodegen.scenarios.cwe_catalog import describe_cwe
from seccodegen.scenarios.model import Scenario
from seccodegen.scenarios.prompts.baseline import BASELINE_INSTRUCTION
from seccodegen.scenarios.prompts.style import PromptStyle, register_style


def specific_instruction(scenario: Scenario) -> str:
    return (
        f"{BASELINE_INSTRUCTION} Make sure the code is secure and free of vulnerabilities, "
        f"in particular {describe_cwe(scenario.cwe)}"
    )


SPECIFIC = register_style(
    PromptStyle(
        name="specific",
        summary="Generic + the target CWE id, name and description.",
        instruction=specific_instruction,
    )
)
