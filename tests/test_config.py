from dataclasses import dataclass, field
from typing import Literal

import pytest

from seccodegen.config import config_hash, load_config, parse_overrides
from seccodegen.errors import ConfigError


@dataclass(frozen=True)
class Inner:
    r: int = 8
    alpha: float = 16.0


@dataclass(frozen=True)
class Cfg:
    name: str = "x"
    method: Literal["lora", "ia3"] = "lora"
    lr: float = 3e-4
    tags: tuple[str, ...] = ()
    lora: Inner = field(default_factory=Inner)
    out: str | None = None

    def __post_init__(self):
        if self.lr <= 0:
            raise ValueError("lr must be positive")


def test_yaml_and_dotted_overrides(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("name: a\nlr: 1e-3\nlora:\n  r: 4\ntags: [x, y]\n")
    cfg = load_config(Cfg, p, ["lora.alpha=32", "method=ia3"])
    assert cfg == Cfg(name="a", lr=1e-3, tags=("x", "y"), lora=Inner(r=4, alpha=32.0), method="ia3")


def test_unknown_key_names_key_and_file(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("lora:\n  rank: 4\n")
    with pytest.raises(ConfigError) as exc:
        load_config(Cfg, p)
    assert "'lora.rank'" in str(exc.value) and str(p) in str(exc.value)


def test_wrong_type_and_validation(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("lora: {r: four}\n")
    with pytest.raises(ConfigError, match="'lora.r' expects an integer"):
        load_config(Cfg, p)
    with pytest.raises(ConfigError, match="lr must be positive"):
        load_config(Cfg, None, ["lr=-1"])
    with pytest.raises(ConfigError, match="must be one of"):
        load_config(Cfg, None, ["method=full"])


def test_overrides_parse_and_hash_stable():
    assert parse_overrides(["a.b=1", "a.c=x"]) == {"a": {"b": 1, "c": "x"}}
    with pytest.raises(ConfigError):
        parse_overrides(["novalue"])
    assert config_hash(Cfg()) == config_hash(Cfg())
    assert config_hash(Cfg()) != config_hash(Cfg(name="y"))
