"""Stage configs as frozen dataclasses, loaded from YAML with dotted ``key=value`` overrides.

Every stage defines ``@dataclass(frozen=True) class XConfig`` with documented fields (use
``field(metadata={"help": ...})``) and validation in ``__post_init__``. This module turns a
YAML mapping plus overrides into such an object, with one-line errors that name the key and
the file: an unknown key, a wrong type, or a value rejected by ``__post_init__``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from seccodegen.errors import ConfigError, InputError
from seccodegen.inputs import parse_yaml, read_text
from seccodegen.inputs.structured import ParseError

C = TypeVar("C")


def parse_overrides(overrides: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``["lora.r=16", "lr=1e-4"]`` -> nested dict; values are parsed as YAML scalars."""
    nested: dict[str, Any] = {}
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r} is not of the form key=value")
        key, raw = item.split("=", 1)
        key = key.strip()
        if not key:
            raise ConfigError(f"override {item!r} has an empty key")
        value = yaml.safe_load(raw) if raw.strip() else ""
        set_dotted(nested, key, value, what=f"override {item!r}")
    return nested


def set_dotted(tree: dict[str, Any], key: str, value: Any, what: str = "") -> None:
    """``set_dotted(t, "lora.r", 16)`` sets ``t["lora"]["r"] = 16``, making the inner mappings."""
    node = tree
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"{what or repr(key)} sets a field inside a non-mapping value")
    node[parts[-1]] = value


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def load_yaml(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    try:
        data = parse_yaml(read_text(p, "a YAML config file"))
    except InputError as exc:
        raise ConfigError(f"config file {exc}") from None
    except ParseError as exc:
        raise ConfigError(f"{p}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: top level must be a mapping of config keys")
    return data


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(value: Any, tp: Any, key: str, source: str) -> Any:
    """Check ``value`` against type ``tp`` (with a few safe coercions), or raise ConfigError."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, key, source)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(f"{source}: key {key!r} expects {_type_name(tp)}, got {value!r}")
    if origin is typing.Literal:
        if value in args:
            return value
        raise ConfigError(f"{source}: key {key!r} must be one of {list(args)}, got {value!r}")
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: key {key!r} expects a mapping, got {value!r}")
        return build_config(tp, value, source=source, prefix=f"{key}.")
    if origin in (list, tuple):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise ConfigError(f"{source}: key {key!r} expects a list, got {value!r}")
        item_tp = args[0] if args else Any
        items = [_coerce(v, item_tp, f"{key}[{i}]", source) for i, v in enumerate(value)]
        return tuple(items)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: key {key!r} expects a mapping, got {value!r}")
        return dict(value)
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{source}: key {key!r} expects true/false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{source}: key {key!r} expects an integer, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML reads "3e-4" as a string
            try:
                return float(value)
            except ValueError:
                pass
        raise ConfigError(f"{source}: key {key!r} expects a number, got {value!r}")
    if tp is str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"{source}: key {key!r} expects a string, got {value!r}")
    if tp is Path:
        if isinstance(value, (str, Path)):
            return str(value)
        raise ConfigError(f"{source}: key {key!r} expects a path, got {value!r}")
    return value


def build_config(cls: type[C], data: dict[str, Any], source: str = "<config>", prefix: str = "") -> C:
    """Build the frozen dataclass ``cls`` from a mapping; unknown keys and wrong types are errors."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"{source}: unknown key {prefix + key!r} for {cls.__name__} (known: {known})")
        kwargs[key] = _coerce(value, hints[key], f"{prefix}{key}", source)
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{source}: {prefix.rstrip('.') or cls.__name__}: {exc}") from None


def load_config(
    cls: type[C],
    path: str | Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    base: dict[str, Any] | None = None,
) -> C:
    """Load ``cls`` from an optional YAML file, then ``base`` values, then dotted overrides."""
    data: dict[str, Any] = {}
    source = "<defaults>"
    if path is not None:
        data = load_yaml(path)
        source = str(path)
    if base:
        data = deep_merge(data, {k: v for k, v in base.items() if v is not None})
    if overrides:
        data = deep_merge(data, parse_overrides(overrides))
        source = f"{source} + overrides" if path is not None else "overrides"
    return build_config(cls, data, source=source)


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """JSON-ready dict of a (nested) config dataclass; tuples become lists."""

    def convert(obj: Any) -> Any:
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return {f.name: convert(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        if isinstance(obj, (list, tuple)):
            return [convert(v) for v in obj]
        if isinstance(obj, dict):
            return {str(k): convert(v) for k, v in obj.items()}
        if isinstance(obj, Path):
            return str(obj)
        return obj

    return convert(cfg)


def config_hash(cfg: Any, length: int = 12) -> str:
    """Stable short hash of a config's content (used to content-address artifacts)."""
    blob = json.dumps(config_to_dict(cfg), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:length]

