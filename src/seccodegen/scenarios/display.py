"""Terminal and JSON output of ``seccodegen scenarios list|show|validate``."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from seccodegen.scenarios.expectations import files_as_dict, mode_rules_as_dict
from seccodegen.scenarios.model import Scenario
from seccodegen.scenarios.validation import ScenarioCheck


def _console() -> Console:
    return Console(width=160, soft_wrap=False)


def print_list(scenarios: list[Scenario], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([s.to_summary() for s in scenarios], indent=2))
        return
    table = Table(title=f"{len(scenarios)} scenarios")
    for col in ("id", "cwe", "tests", "description"):
        table.add_column(col, overflow="fold")
    for s in scenarios:
        # Text, not str: rich would read a description's ``[nick]`` as markup and drop it
        table.add_row(Text(s.id), Text(s.cwe), str(len(s.tests)), Text(s.description))
    console = _console()
    console.print(table)
    console.print(coverage_line(scenarios))


def coverage_line(scenarios: list[Scenario]) -> str:
    """E.g. ``c: 30 scenarios / 13 CWEs; java: 10 / 6``."""
    parts = []
    for lang in sorted({s.language for s in scenarios}):
        mine = [s for s in scenarios if s.language == lang]
        parts.append(f"{lang}: {len(mine)} scenarios / {len({s.cwe for s in mine})} CWEs")
    return "; ".join(parts) or "no scenarios"


def scenario_as_dict(scenario: Scenario) -> dict:
    data = dataclasses.asdict(scenario)
    data["path"] = str(scenario.path) if scenario.path else None
    for test in (*data["tests"], *data["security_tests"]):
        test["files"] = files_as_dict(test["files"])
        test["expect_files"] = dict(test["expect_files"])
        test["expect_modes"] = mode_rules_as_dict(test["expect_modes"])
    return data


def print_scenario(scenario: Scenario, completions: bool, as_json: bool) -> None:
    if as_json:
        data = scenario_as_dict(scenario)
        if not completions:
            data.pop("completions")
        typer.echo(json.dumps(data, indent=2))
        return
    out = [
        f"id:          {scenario.id}",
        f"language:    {scenario.language}",
        f"cwe:         {scenario.cwe}",
        f"description: {scenario.description}",
        f"file:        {scenario.path}",
        f"scope:       {scenario.completion_scope}   source: {scenario.source_name}",
        f"compile:     flags={list(scenario.compile.flags)} libs={list(scenario.compile.libs)}",
        f"analyzers:   {', '.join(scenario.analyzers) or '(all for the language)'}",
        f"completions: {len(scenario.completions.vulnerable)} vulnerable, "
        f"{len(scenario.completions.secure)} secure, {len(scenario.completions.secure_variants)} secure variants",
        "---- prompt " + "-" * 60,
        scenario.prompt + "<<< completion goes here >>>",
        "---- suffix " + "-" * 60,
        scenario.suffix,
        "---- tests " + "-" * 61,
    ]
    for test in scenario.tests:
        out.append(f"{test.name}: args={list(test.args)} expect_exit={test.expect_exit}")
    if completions:
        for kind in ("vulnerable", "secure", "secure_variants"):
            for i, text in enumerate(getattr(scenario.completions, kind)):
                out += [f"---- {kind}[{i}] " + "-" * 50, text]
    typer.echo("\n".join(out))


def _secure_cell(c: ScenarioCheck) -> str:
    """``2/2``, or ``2/2 +1/1`` with the secure variants that passed their security tests."""
    cell = f"{c.secure_passed}/{len(c.scenario.completions.secure)}"
    n_variants = len(c.scenario.completions.secure_variants)
    return cell + (f" +{c.variants_passed}/{n_variants}" if n_variants else "")


def print_checks(checks: list[ScenarioCheck], as_json: bool, load_errors: list[str] | None = None) -> bool:
    """Print the validation summary (and files that failed to load); True when everything is ok."""
    load_errors = load_errors or []
    ok = all(c.ok for c in checks) and not load_errors
    if as_json:
        for message in load_errors:
            typer.echo(json.dumps({"id": None, "ok": False, "problems": [message]}))
        for c in checks:
            typer.echo(json.dumps({
                "id": c.scenario.id, "ok": c.ok, "problems": c.problems, "ran": c.ran,
                "secure_passed": c.secure_passed, "n_secure": len(c.scenario.completions.secure),
                "variants_passed": c.variants_passed,
                "n_secure_variants": len(c.scenario.completions.secure_variants),
                "vulnerable_compiled": c.vulnerable_compiled,
                "n_vulnerable": len(c.scenario.completions.vulnerable), "seconds": round(c.seconds, 2),
                "vulnerable_caught": c.vulnerable_caught, "caught_by": c.caught_by,
            }))  # fmt: skip
        return ok
    ran = any(c.ran for c in checks)
    table = Table(
        title="scenario validation" + ("" if ran else " (schema only; --run-tests also compiles and tests)")
    )
    table.add_column("id", overflow="fold")
    table.add_column("status")
    if ran:
        table.add_column("secure pass")
        table.add_column("vuln compile")
        table.add_column("vuln caught by")
    table.add_column("problems", overflow="fold")
    for c in checks:
        row = [Text(c.scenario.id), "[green]ok[/green]" if c.ok else "[red]FAIL[/red]"]
        if ran:
            row += [
                _secure_cell(c),
                f"{c.vulnerable_compiled}/{len(c.scenario.completions.vulnerable)}",
                f"{c.vulnerable_caught}/{len(c.scenario.completions.vulnerable)} {c.caught_by}",
            ]
        row.append(Text(" | ".join(c.problems)))
        table.add_row(*row)
    console = _console()
    console.print(table)
    scenarios = [c.scenario for c in checks]
    failed = sum(not c.ok for c in checks)
    by_cwe = Counter(s.cwe for s in scenarios)
    console.print(coverage_line(scenarios))
    for message in load_errors:
        console.print(Text.assemble(("schema error", "red"), f": {message}"), highlight=False)
    console.print(
        f"{len(by_cwe)} CWEs overall; {len(checks) - failed} ok, {failed} failed, "
        f"{len(load_errors)} files failed to load"
    )
    return ok
