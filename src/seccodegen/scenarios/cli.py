"""CLI for the scenarios stage: ``seccodegen scenarios list|show|validate``."""

from __future__ import annotations

from pathlib import Path

import typer

SCENARIOS_OPTION = typer.Option(
    None, "--scenarios", help="Suite directory (or one YAML file); default: the built-in suite."
)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="List, show and validate scenario suites.", no_args_is_help=True)
    app.add_typer(group, name="scenarios")

    @group.command("list")
    def list_cmd(
        scenarios: Path | None = SCENARIOS_OPTION,
        as_json: bool = typer.Option(
            False, "--json", help="Print a JSON array of objects (id, language, cwe, ...)."
        ),
        language: str | None = typer.Option(None, "--language", "-l", help="Only this language."),
    ) -> None:
        """List the scenarios of a suite."""
        from seccodegen.scenarios.display import print_list

        print_list(_load(scenarios, language), as_json)

    @group.command("show")
    def show_cmd(
        scenario_id: str = typer.Argument(..., help="Scenario id, e.g. c/cwe-787/float-to-string."),
        scenarios: Path | None = SCENARIOS_OPTION,
        completions: bool = typer.Option(
            False, "--completions", help="Also print the hand-written completions."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the scenario as JSON."),
    ) -> None:
        """Show one scenario: fields, prompt, suffix, tests."""
        from seccodegen.scenarios.display import print_scenario
        from seccodegen.scenarios.model import find_scenario

        print_scenario(find_scenario(_load(scenarios, None), scenario_id), completions, as_json)

    @group.command("validate")
    def validate_cmd(
        scenarios: Path | None = SCENARIOS_OPTION,
        run_tests: bool = typer.Option(
            False,
            "--run-tests",
            help="Also compile every completion, run the tests and security tests on the secure ones and "
            "check every vulnerable one is caught (by a security test, else by the static judge); runs "
            "the hand-written completions in the sandbox.",
        ),
        language: str | None = typer.Option(None, "--language", "-l", help="Only this language."),
        jobs: int | None = typer.Option(None, "--jobs", "-j", help="Parallel checks (default: 2 x CPUs)."),
        as_json: bool = typer.Option(
            False, "--json", help="Print one JSON object per scenario instead of a table."
        ),
    ) -> None:
        """Schema-check a suite; with --run-tests also check secure completions pass and vulnerable ones are caught."""
        from seccodegen.scenarios.display import print_checks
        from seccodegen.scenarios.validation import check_suite

        load_errors: list[str] = []
        checks = check_suite(_load(scenarios, language, load_errors), run_tests=run_tests, jobs=jobs)
        if not print_checks(checks, as_json, load_errors):
            raise typer.Exit(1)


def _load(scenarios: Path | None, language: str | None, errors: list[str] | None = None):
    from seccodegen.scenarios.model import LANGUAGES, ScenarioError, load_suite

    if language is not None and language not in LANGUAGES:
        raise ScenarioError(f"--language {language!r} is not one of {', '.join(LANGUAGES)}")
    suite = load_suite(scenarios, errors)
    return [s for s in suite if language is None or s.language == language]
