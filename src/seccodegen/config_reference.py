"""``seccodegen config show STAGE`` (a stage's defaults as a commented YAML file) and
``seccodegen config reference`` (docs/options.md), both written from the config dataclasses.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
import types
import typing
from typing import Any

import typer
import yaml

from seccodegen.config_flags import (
    STAGE_OPTIONS,
    StageOptions,
    config_fields,
    field_default,
    list_item,
    literal_values,
    without_none,
)

WIDTH = 100  # characters per YAML comment line
DOC_HEADER = """# Options of every stage

<!-- Written by `seccodegen config reference > docs/options.md`; a test fails when it differs from the code. -->

A stage's settings are the fields of its config dataclass. Each one is a key of the YAML file
given with `--config FILE`, a `--set key=value` override, and a flag of the stage's command
(`seccodegen run` excepted: its settings are the keys of the experiment file). Later sources win:
defaults < `--config FILE` < flags < `--set`. A nested field is dotted (`--lora.r 16`,
`--set lora.r=16`); a list flag takes `a,b,c` and may be repeated; a bool is `--x/--no-x`.
`seccodegen config show STAGE` prints a stage's defaults as a commented YAML file to start from.
"""


def yaml_value(value: Any) -> str:
    """A default as one line of YAML: ``8``, ``''``, ``[file, block]``, ``null``."""
    if value is dataclasses.MISSING:
        return ""
    plain = json.loads(json.dumps(value))  # tuples -> lists
    return yaml.safe_dump(plain, default_flow_style=True, width=10**6).strip().removesuffix("...").strip()


def type_label(tp: Any) -> str:
    """A type as a YAML file holds it: ``integer``, ``list of text``, ``file | block``."""
    tp = without_none(tp)
    choices = literal_values(tp)
    if choices:
        return " | ".join(map(str, choices))
    item = list_item(tp)
    if item is not None:
        return "list of mappings" if dataclasses.is_dataclass(item) else f"list of {type_label(item)}"
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return " or ".join(type_label(a) for a in typing.get_args(tp) if a is not type(None))
    if typing.get_origin(tp) is dict or dataclasses.is_dataclass(tp):
        return "mapping"
    names = {bool: "true/false", int: "integer", float: "number", str: "text"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _comment(text: str, indent: str, hang: str = "") -> list[str]:
    lines = textwrap.wrap(
        text, WIDTH - len(indent) - 2, subsequent_indent=hang, break_long_words=False, break_on_hyphens=False
    )
    return [f"{indent}# {line}" for line in lines]


def _yaml_lines(cls: type, indent: str = "") -> list[str]:
    hints = typing.get_type_hints(cls)
    lines: list[str] = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        tp = without_none(hints[f.name])
        default = field_default(f)
        text = f.metadata.get("help", "") + (" (required)" if default is dataclasses.MISSING else "")
        lines += _comment(text, indent)
        if dataclasses.is_dataclass(tp):
            lines += [f"{indent}{f.name}:", *_yaml_lines(tp, indent + "  ")]
            continue
        item = list_item(tp)
        if item is not None and dataclasses.is_dataclass(item):
            lines.append(f"{indent}# each item:")
            for sub in config_fields(item):
                lines += _comment(f"  {sub.key}: {sub.help}", indent, hang="    ")
        lines.append(f"{indent}{f.name}: {yaml_value(default)}".rstrip())
    return lines


def config_yaml(options: StageOptions) -> str:
    """The stage's full default config as commented YAML: the start of a user's config file."""
    use = (
        f"{options.command} --config FILE; its flags and --set KEY=VALUE override the file"
        if options.fields_as_flags
        else f"{options.command} (this file); --set KEY=VALUE overrides it"
    )
    head = [f"# {options.config.__name__}: every field with its default.", f"# Use: {use}."]
    return "\n".join([*head, *_yaml_lines(options.config)]) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _rows(options: StageOptions) -> list[list[str]]:
    flagged = {f.key: f for f in options.flag_fields()}
    rows = []
    for f in config_fields(options.config):
        spec = options.flag(f.key)
        if f.key in options.own:
            flags = f"`{options.own[f.key]}`"
        elif f.key in flagged:
            names = options.flag_names(f)
            names[0] += f" {spec.metavar}" if spec.metavar else ""
            flags = ", ".join(f"`{n}`" for n in names) + (" (required)" if spec.required else "")
        else:
            flags = ""
        default = "required" if f.default is dataclasses.MISSING else f"`{yaml_value(f.default)}`"
        rows.append([f"`{f.key}`", flags, type_label(f.type), default, f.help])
        item = list_item(f.type)
        if item is not None and dataclasses.is_dataclass(item):
            for sub in config_fields(item):
                sub_default = (
                    "required" if sub.default is dataclasses.MISSING else f"`{yaml_value(sub.default)}`"
                )
                rows.append([f"`{f.key}[].{sub.key}`", "", type_label(sub.type), sub_default, sub.help])
    return rows


def stage_reference(options: StageOptions) -> str:
    cls = options.config
    head = [
        f"## {options.stage}: `{options.command}`",
        "",
        f"`{cls.__name__}` (`{cls.__module__}`); e.g. `--set {options.set_example}`; "
        f"`seccodegen config show {options.stage}` prints these defaults as YAML.",
        "",
    ]
    columns = ["key", "flag", "type", "default", "meaning"]
    keep = [i for i, c in enumerate(columns) if c != "flag" or options.fields_as_flags]
    table = [[columns[i] for i in keep], ["---"] * len(keep)]
    table += [[row[i] for i in keep] for row in _rows(options)]
    return "\n".join([*head, *("| " + " | ".join(_cell(c) for c in row) + " |" for row in table)]) + "\n"


def reference() -> str:
    """docs/options.md: every stage's keys, flags, types, defaults and help, in command order."""
    import seccodegen.cli  # noqa: F401  (its import registers every stage's options)

    order = ["dataset", "train", "sample", "judge", "report", "humaneval", "run"]
    names = sorted(STAGE_OPTIONS.names(), key=lambda n: (order.index(n) if n in order else len(order), n))
    return "\n".join([DOC_HEADER, *(stage_reference(STAGE_OPTIONS.get(n)) for n in names)])


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Every stage's settings: defaults as a YAML file, and their reference.", no_args_is_help=True
    )
    app.add_typer(group, name="config")

    @group.command("show")
    def show(stage: str = typer.Argument(..., help=f"One of: {', '.join(STAGE_OPTIONS.names())}.")) -> None:
        """Print STAGE's full default config as commented YAML (a start for --config FILE)."""
        typer.echo(config_yaml(STAGE_OPTIONS.get(stage)), nl=False)

    @group.command("reference")
    def reference_cmd() -> None:
        """Print every stage's keys, flags, types, defaults and help as Markdown (docs/options.md)."""
        typer.echo(reference(), nl=False)
