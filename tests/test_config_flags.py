"""Stage commands generated from config dataclasses (config_flags.py), `config show` and docs/options.md."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
import typer
import yaml
from typer.testing import CliRunner

from seccodegen.cli import app
from seccodegen.config import config_to_dict, load_config, parse_overrides
from seccodegen.config_flags import (
    STAGE_OPTIONS,
    StageOptions,
    config_fields,
    field_default,
    flag,
    stage_command,
)
from seccodegen.config_reference import config_yaml, reference
from seccodegen.errors import ConfigError
from seccodegen.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
WIDE = {"COLUMNS": "400"}  # no wrapped flag names in --help
COMMANDS = {  # stage -> the command its flags belong to
    "dataset": ["dataset", "build"],
    "train": ["train"],
    "sample": ["sample"],
    "judge": ["judge"],
    "report": ["report"],
    "humaneval": ["humaneval", "run"],
    "run": ["run"],
}


@dataclass(frozen=True)
class Inner:
    r: int = field(default=8, metadata={"help": "rank"})
    alpha: float = field(default=16.0, metadata={"help": "scale"})


@dataclass(frozen=True)
class Cfg:
    name: str = field(default="x", metadata={"help": "a name"})
    method: Literal["lora", "ia3"] = field(default="lora", metadata={"help": "method"})
    tags: tuple[str, ...] = field(default=(), metadata={"help": "tags"})
    paths: tuple[str, ...] = field(default=(), metadata={"help": "paths"})
    sizes: tuple[int, ...] = field(default=(), metadata={"help": "sizes"})
    packing: bool = field(default=True, metadata={"help": "pack rows"})
    chat: bool | None = field(default=None, metadata={"help": "chat"})
    steps: int | None = field(default=None, metadata={"help": "steps"})
    extra: dict[str, Any] = field(default_factory=dict, metadata={"help": "extra"})
    lora: Inner = field(default_factory=Inner, metadata={"help": "adapter"})
    fixed: str = field(default="", metadata={"help": "set by the command"})


OPTIONS = StageOptions(
    "toy", Cfg, "toy", set_example="lora.r=4",
    flags={"name": flag("-n"), "paths": flag("--path", split=False)}, own={"fixed": "FIXED"},
)  # fmt: skip


def toy_app() -> tuple[typer.Typer, list[Cfg]]:
    """A command made by stage_command; every config it loads is appended to the list."""
    toy, seen = typer.Typer(), []

    @stage_command(toy, "toy", OPTIONS, registry=Registry("toy stage"))
    def run(load, fixed: str = typer.Argument("f")) -> None:
        seen.append(load(fixed=fixed))

    @toy.command("other")
    def other() -> None:  # a second command keeps `toy` a subcommand
        pass

    return toy, seen


def config_panel(help_text: str) -> str:
    """The part of --help holding --config, --set and the generated flags (typer shows its own
    parameters, e.g. --help, with types like <bool>)."""
    return help_text[help_text.index("─ Config ") :] if "─ Config " in help_text else ""


def invoke_toy(*args: str) -> Cfg:
    toy, seen = toy_app()
    res = CliRunner().invoke(toy, ["toy", *args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return seen[-1]


def test_every_field_type_becomes_a_flag():
    cfg = invoke_toy(
        "-n", "y", "--method", "ia3", "--tags", "a,b", "--tags", "c", "--path", "p,q", "--path", "r",
        "--sizes", "1,2", "--no-packing", "--chat", "--steps", "3", "--extra", "{k: 1}",
        "--lora.r", "4", "--lora.alpha", "2.5", "FIX",
    )  # fmt: skip
    assert cfg == Cfg(
        name="y", method="ia3", tags=("a", "b", "c"), paths=("p,q", "r"), sizes=(1, 2), packing=False,
        chat=True, steps=3, extra={"k": 1}, lora=Inner(r=4, alpha=2.5), fixed="FIX",
    )  # fmt: skip
    assert invoke_toy() == Cfg(fixed="f")  # nothing given: the dataclass defaults


def test_precedence_defaults_file_flags_set(tmp_path):
    file = tmp_path / "toy.yaml"
    file.write_text("name: file\nsteps: 1\nchat: false\nlora: {r: 2, alpha: 3.0}\ntags: [t]\n")
    cfg = invoke_toy("--config", str(file), "--steps", "5", "--lora.alpha", "4", "--set", "steps=9")
    assert cfg.name == "file" and cfg.chat is False and cfg.tags == ("t",)  # the file over defaults
    assert cfg.lora == Inner(r=2, alpha=4.0)  # a nested flag merges into the file's mapping
    assert cfg.steps == 9  # --set over the flag over the file
    assert invoke_toy("-c", str(file), "-n", "flag").name == "flag"
    assert cfg == load_config(Cfg, file, ["steps=9"], base={"steps": 5, "lora": {"alpha": 4.0}, "fixed": "f"})


def test_bad_flag_values_are_one_line_errors():
    toy, _ = toy_app()
    for args, message in (
        (["--sizes", "1,x"], "--sizes: 'x' is not an integer"),
        (["--method", "full"], "must be one of ['lora', 'ia3']"),
        (["--extra", "{k: [1"], "--extra: '{k: [1' is not valid YAML"),
    ):
        res = CliRunner().invoke(toy, ["toy", *args])
        assert isinstance(res.exception, ConfigError), res.output
        assert message in str(res.exception) and "\n" not in str(res.exception)
    assert CliRunner().invoke(toy, ["toy", "--steps", "x"]).exit_code == 2  # typer's usage error


def test_toy_help_lists_fields_with_readable_types_and_defaults():
    toy, _ = toy_app()
    out = CliRunner().invoke(toy, ["toy", "--help"], env=WIDE).output
    lines = {name: next(line for line in out.splitlines() if re.search(rf"{re.escape(name)}\b", line)) for name in (
        "--lora.r", "--lora.alpha", "--tags", "--path", "--sizes", "--steps", "--method", "--extra", "--packing"
    )}  # fmt: skip
    assert "INTEGER" in lines["--lora.r"] and "(default: 8)" in lines["--lora.r"]
    assert "FLOAT" in lines["--lora.alpha"] and "(default: 16.0)" in lines["--lora.alpha"]
    assert "a,b,c" in lines["--tags"] and "1,2,3" in lines["--sizes"] and "(repeatable)" in lines["--path"]
    assert "[lora|ia3]" in lines["--method"] and "YAML" in lines["--extra"]
    assert "--no-packing" in lines["--packing"] and "(default: true)" in lines["--packing"]
    assert "e.g. --set lora.r=4" in out and "-n" in out
    assert not re.search(r"<(int|float|str|list|path|bool)", config_panel(out))


@pytest.mark.parametrize("stage", sorted(COMMANDS))
def test_every_stage_help_shows_every_field_and_its_own_set_example(stage):
    options = STAGE_OPTIONS.get(stage)
    assert all(f.help for f in config_fields(options.config)), f"{stage}: a field has no help text"
    res = CliRunner().invoke(app, [*COMMANDS[stage], "--help"], env=WIDE)
    assert res.exit_code == 0, res.output
    assert f"e.g. --set {options.set_example}" in res.output
    for f in options.flag_fields():
        names = options.flag_names(f)
        assert names[0].split("/")[0] in res.output, f"{stage}: {f.key} has no flag in --help"
        assert all(n.split("/")[-1] in res.output for n in names)
    for flag_name in options.own.values():
        assert flag_name.split("[")[0].lower() in res.output.lower()
    assert not re.search(r"<(int|float|str|list|path|bool)", config_panel(res.output)), res.output


@pytest.mark.parametrize("stage", sorted(COMMANDS))
def test_set_example_is_a_field_of_its_stage(stage):
    options = STAGE_OPTIONS.get(stage)
    keys = {f.key for f in config_fields(options.config)}
    ((key, value),) = [(k, v) for k, v in parse_overrides([options.set_example]).items()]
    while isinstance(value, dict) and key not in keys:  # descend to a leaf, or to a mapping field
        ((sub, value),) = value.items()
        key = f"{key}.{sub}"
    assert key in keys, f"{stage}: --set example {options.set_example!r} names no field"


@pytest.mark.parametrize("stage", sorted(COMMANDS))
def test_config_show_is_the_default_config_as_yaml(stage):
    options = STAGE_OPTIONS.get(stage)
    res = CliRunner().invoke(app, ["config", "show", stage])
    assert res.exit_code == 0, res.output
    assert res.output == config_yaml(options)
    shown = yaml.safe_load(res.output)
    expected = {
        f.name: config_to_dict(field_default(f)) if field_default(f) is not dataclasses.MISSING else None
        for f in dataclasses.fields(options.config)
    }
    assert shown == expected
    comments = [line for line in res.output.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) >= len(dataclasses.fields(options.config))  # every field has its help above it


def test_config_show_output_is_a_config_file_that_loads(tmp_path):
    from seccodegen.train.config import TrainConfig

    file = tmp_path / "train.yaml"
    file.write_text(CliRunner().invoke(app, ["config", "show", "train"]).output)
    assert load_config(TrainConfig, file) == TrainConfig()
    res = CliRunner().invoke(app, ["config", "show", "trian"])
    assert "unknown stage 'trian'" in str(res.exception)


def test_docs_options_md_matches_the_dataclasses():
    doc = ROOT / "docs" / "options.md"
    assert doc.read_text(encoding="utf-8") == reference(), (
        "docs/options.md differs from the config dataclasses; regenerate it with "
        "`seccodegen config reference > docs/options.md`"
    )


def test_cli_import_stays_light_and_runner_modules_form_no_circle():
    code = (
        "import sys, seccodegen.cli, seccodegen.runner.stages\n"
        "heavy = [m for m in ('torch', 'transformers', 'pandas', 'numpy') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert 'seccodegen.runner.plan' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
