"""What ``--model`` accepts; imported by config help texts, so it imports nothing."""

BUILTIN_TINY = "builtin:tiny-random"
BUILTIN_SMOLLM2 = "builtin:smollm2-135m"
MODEL_HELP = f"a Hugging Face folder, a hub id, a .gguf file, {BUILTIN_SMOLLM2} or {BUILTIN_TINY}"
