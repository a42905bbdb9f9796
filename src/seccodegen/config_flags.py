"""Stage commands generated from their config dataclass: the dataclass is the option list.

Every field of a stage's frozen config is a flag of its command, with the field's type, default
and help text: ``TrainConfig.max_steps`` is ``--max-steps INTEGER``, the nested ``lora.r`` is
``--lora.r``, a bool is ``--packing/--no-packing``, a list takes ``a,b,c`` (and may repeat), a
``Literal`` shows its values, and a mapping or a list of mappings takes YAML. The command merges
defaults < ``--config FILE`` < flags < ``--set key=value`` (:func:`seccodegen.config.load_config`).

What is special about one stage's command is a :class:`StageOptions`: short flags and former
names of a few fields (:class:`Flag`), the fields the command sets from its own arguments
(judge's SAMPLES, ``--allow-exec``) and an example for ``--set``. ``seccodegen config show`` and
docs/options.md are written from the same description (``config_reference.py``).
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
import yaml

from seccodegen.cli_common import set_option
from seccodegen.config import load_config, set_dotted
from seccodegen.errors import ConfigError
from seccodegen.registry import Registry

PANEL = "Config"  # the --help panel holding --config, --set and one flag per field
SCALAR_METAVARS = {int: "INTEGER", float: "FLOAT", str: "TEXT", Path: "TEXT"}
LIST_METAVARS = {int: "1,2,3", float: "0.5,1.5", str: "a,b,c", Path: "a,b,c"}
KEYWORD = inspect.Parameter.KEYWORD_ONLY

STAGE_OPTIONS: Registry[StageOptions] = Registry("stage")  # filled by each stage's cli.py


@dataclass(frozen=True)
class Flag:
    """What a stage changes about the flag of one field."""

    # more names: a short flag (-m) or a former one (--styles); "--on/--off" replaces a bool's pair
    names: tuple[str, ...] = ()
    # one value as typed -> config data (e.g. FORMAT:PATH -> a mapping)
    parse: Callable[[str], Any] | None = None
    metavar: str | None = None
    split: bool = True  # list fields: split each value at commas (off for paths and free text)
    required: bool = False  # the flag must be given; a config file does not stand in for it


def flag(*names: str, **settings: Any) -> Flag:
    return Flag(names, **settings)


@dataclass(frozen=True)
class ConfigField:
    """One leaf field of a (nested) config dataclass."""

    key: str  # dotted, as in the YAML file and --set: "lora.r"
    type: Any  # the annotation without "| None"
    default: Any  # dataclasses.MISSING when the field has none
    help: str

    @property
    def param(self) -> str:
        """Python identifier of the command parameter (fields never hold a double underscore)."""
        return "f_" + self.key.replace(".", "__")

    @property
    def long_flag(self) -> str:
        return "--" + self.key.replace("_", "-")

    def kind(self, spec: Flag) -> str:
        """bool, scalar (one value), list (repeatable, comma-separated) or yaml (a structure)."""
        if self.type is bool:
            return "bool"
        item = list_item(self.type)
        if item is not None and (spec.parse or item in SCALAR_METAVARS):
            return "list"
        if spec.parse or self.type in SCALAR_METAVARS or literal_values(self.type):
            return "scalar"
        return "yaml"

    def metavar(self, spec: Flag) -> str:
        kind = self.kind(spec)
        if spec.metavar or kind == "bool":
            return spec.metavar or ""
        if kind == "list":
            item = list_item(self.type)
            return (LIST_METAVARS if spec.split else SCALAR_METAVARS).get(item, "TEXT")
        if kind == "yaml":
            return "YAML"
        choices = literal_values(self.type)
        return "[" + "|".join(map(str, choices)) + "]" if choices else SCALAR_METAVARS.get(self.type, "TEXT")


def field_default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def without_none(tp: Any) -> Any:
    """``int | None`` -> ``int``; other unions stay as they are."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def list_item(tp: Any) -> Any:
    """The item type of ``tuple[X, ...]`` / ``list[X]``, else None."""
    if typing.get_origin(tp) in (tuple, list):
        args = typing.get_args(tp)
        return args[0] if args else Any
    return None


def literal_values(tp: Any) -> tuple[Any, ...]:
    return typing.get_args(tp) if typing.get_origin(tp) is typing.Literal else ()


def config_fields(cls: type, prefix: str = "") -> list[ConfigField]:
    """The leaf fields of ``cls`` in declaration order; nested dataclasses become dotted keys."""
    hints = typing.get_type_hints(cls)
    out: list[ConfigField] = []
    for f in dataclasses.fields(cls):
        tp = without_none(hints[f.name])
        if dataclasses.is_dataclass(tp):
            out.extend(config_fields(tp, f"{prefix}{f.name}."))
        elif f.init:
            out.append(ConfigField(prefix + f.name, tp, field_default(f), f.metadata.get("help", "")))
    return out


def default_text(value: Any) -> str:
    """A default as the flag takes it (``a,b``, ``true``), or "" when there is nothing to show."""
    if value is dataclasses.MISSING or value is None or value in ("", (), [], {}):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (tuple, list)):
        return ",".join(map(str, value))
    return str(value)


@dataclass(frozen=True)
class StageOptions:
    """How one stage's config dataclass becomes its command's flags, its YAML file and its docs."""

    stage: str  # the name in `seccodegen config show STAGE` and docs/options.md
    config: type  # the frozen config dataclass
    command: str  # how users run it, e.g. "seccodegen judge SAMPLES"
    set_example: str  # shown in --set's help: a key of this config with a sensible value
    flags: Mapping[str, Flag] = field(default_factory=dict)  # dotted key -> what is special about its flag
    own: Mapping[str, str] = field(default_factory=dict)  # dotted key -> the argument or option that sets it
    fields_as_flags: bool = True  # False: settings only in the file and --set (the experiment file)

    def flag(self, key: str) -> Flag:
        return self.flags.get(key, Flag())

    def flag_fields(self) -> list[ConfigField]:
        """The fields that get a generated flag."""
        if not self.fields_as_flags:
            return []
        return [f for f in config_fields(self.config) if f.key not in self.own]

    def flag_names(self, f: ConfigField) -> list[str]:
        """How users write the field's flag: ``--lora.r``, ``--model``, ``-m``, ``--chat/--no-chat``."""
        spec = self.flag(f.key)
        extra = [n for n in spec.names if "/" not in n]
        if f.kind(spec) != "bool":
            return [f.long_flag, *extra]
        pair = next((n for n in spec.names if "/" in n), f"{f.long_flag}/--no-{f.long_flag[2:]}")
        return [pair, *extra]

    def help_line(self, f: ConfigField) -> str:
        spec = self.flag(f.key)
        text = f.help.rstrip()
        if f.kind(spec) == "list" and not spec.split:
            text += " (repeatable)"
        default = default_text(f.default)
        return f"{text} (default: {default})" if default else text

    def parameters(self) -> list[inspect.Parameter]:
        """``--config``, ``--set`` and one typer option per field, as function parameters."""
        config = typer.Option(
            None, "--config", "-c", metavar="FILE", rich_help_panel=PANEL,
            help=f"YAML file of {self.config.__name__} fields (`seccodegen config show {self.stage}` prints every default).",
        )  # fmt: skip
        params = [
            inspect.Parameter("config_file", KEYWORD, default=config, annotation=str | None),
            inspect.Parameter(
                "overrides", KEYWORD, default=set_option(self.set_example, PANEL), annotation=list[str]
            ),
        ]
        for f in self.flag_fields():
            spec = self.flag(f.key)
            kind = f.kind(spec)
            option = typer.Option(
                ... if spec.required else None, *self.flag_names(f), help=self.help_line(f),
                metavar=f.metavar(spec), show_default=False, rich_help_panel=PANEL,
            )  # fmt: skip
            value_type = f.type if kind == "scalar" and f.type in (int, float) and not spec.parse else str
            annotation = {"bool": bool, "list": list[str]}.get(kind, value_type)
            params.append(inspect.Parameter(f.param, KEYWORD, default=option, annotation=annotation | None))
        return params

    def flag_data(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Nested config data of the flags that were given (``{"lora": {"r": 4}}``)."""
        data: dict[str, Any] = {}
        for f in self.flag_fields():
            value = values.get(f.param)
            if value is None or (isinstance(value, (list, tuple)) and not value):
                continue
            spec = self.flag(f.key)
            kind = f.kind(spec)
            if kind == "list":
                items = [p.strip() for raw in value for p in raw.split(",")] if spec.split else list(value)
                if not any(items):
                    continue
                value = [
                    spec.parse(x) if spec.parse else _item(x, list_item(f.type), f.long_flag)
                    for x in items
                    if x
                ]
            elif spec.parse:
                value = spec.parse(value)
            elif kind == "yaml":
                value = _yaml(value, f.long_flag)
            set_dotted(data, f.key, value)
        return data


def _item(text: str, tp: Any, flag_name: str) -> Any:
    try:
        return tp(text) if tp in (int, float) else text
    except ValueError:
        raise ConfigError(
            f"{flag_name}: {text!r} is not {'an integer' if tp is int else 'a number'}"
        ) from None


def _yaml(text: str, flag_name: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        raise ConfigError(
            f"{flag_name}: {text!r} is not valid YAML (e.g. '[{{a: 1}}]' or '{{k: v}}')"
        ) from None


LoadConfig = Callable[..., Any]  # load(**fixed) -> the stage's config; ``fixed`` sets fields the command owns


def stage_command(
    app: typer.Typer,
    name: str,
    options: StageOptions,
    registry: Registry[StageOptions] = STAGE_OPTIONS,
    **command: Any,
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``func(load, *own parameters)`` as ``NAME`` with a flag per config field.

    ``func``'s first parameter receives ``load(**fixed)``, which builds the config from the
    defaults, ``--config``, the flags, ``fixed`` (fields the command sets from its own arguments)
    and ``--set``, in that order of precedence. Its other parameters are ordinary typer ones.
    ``command``: typer's command settings (e.g. ``cls``).
    """
    registry.register(options.stage, options)

    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        hints = typing.get_type_hints(func)
        own = [
            p.replace(kind=KEYWORD, annotation=hints.get(p.name, p.annotation))
            for p in list(inspect.signature(func).parameters.values())[1:]
        ]
        generated = options.parameters()

        def callback(**values: Any) -> None:
            config_file, overrides = values.pop("config_file"), values.pop("overrides")
            flags = options.flag_data({p.name: values.pop(p.name) for p in generated[2:]})

            def load(**fixed: Any) -> Any:
                return load_config(options.config, config_file, overrides, base={**flags, **fixed})

            func(load, **values)

        callback.__signature__ = inspect.Signature([*own, *generated])  # type: ignore[attr-defined]
        callback.__annotations__ = {p.name: p.annotation for p in (*own, *generated)}
        callback.__doc__, callback.__name__ = func.__doc__, func.__name__
        app.command(name, **command)(callback)
        return func

    return decorate
