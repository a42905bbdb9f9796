"""Model loading: HF folders, hub ids, GGUF files (converted once to a bf16 folder), tiny test models."""

from seccodegen.models.loader import load_model, load_tokenizer, resolve_model_dir

__all__ = ["load_model", "load_tokenizer", "resolve_model_dir"]
