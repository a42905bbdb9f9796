"""Config of the sample stage (``seccodegen sample``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from seccodegen.models.specs import MODEL_HELP
from seccodegen.sample.kernel_choice import KERNEL_CHOICES

BACKENDS = ("hf", "hf-generate", "vllm")


@dataclass(frozen=True)
class SampleConfig:
    model: str = field(default="", metadata={"help": f"model to sample: {MODEL_HELP}."})
    adapter: str | None = field(
        default=None, metadata={"help": "peft adapter folder (from `seccodegen train`)."}
    )
    backend: str = field(
        default="hf", metadata={"help": "hf (ours, batched) | hf-generate (plain HF) | vllm."}
    )
    scenarios: str | None = field(
        default=None, metadata={"help": "scenario suite directory or .jsonl prompt file; null = built-in."}
    )
    languages: tuple[str, ...] = field(default=(), metadata={"help": "only these languages (empty = all)."})
    scenario_ids: tuple[str, ...] = field(
        default=(), metadata={"help": "only these scenario ids (empty = all)."}
    )
    prompt_styles: tuple[str, ...] = field(
        default=("baseline",),
        metadata={"help": "prompt styles (baseline, generic, specific); each gets n samples."},
    )
    chat: bool | None = field(
        default=None,
        metadata={"help": "wrap prompts in the chat template; null = when the tokenizer has one."},
    )
    n: int = field(default=30, metadata={"help": "samples per scenario and prompt style."})
    temperature: float = field(default=0.8, metadata={"help": "sampling temperature (0 = greedy)."})
    top_p: float = field(default=0.9, metadata={"help": "nucleus sampling mass, in (0, 1]."})
    max_new_tokens: int = field(default=100, metadata={"help": "tokens generated per sample at most."})
    seed: int = field(
        default=0, metadata={"help": "run seed; sample k of (scenario, style) has its own stream."}
    )
    batch_size: int | None = field(
        default=None,
        metadata={"help": "sequences decoded together and written per checkpoint; null = auto (GPU memory)."},
    )
    dtype: str | None = field(
        default=None, metadata={"help": "float32 | bfloat16 | float16; null = bf16 on GPU."}
    )
    device: str | None = field(
        default=None, metadata={"help": "cpu | cuda | cuda:1; null = cuda if present."}
    )
    fused_kernels: bool | None = field(
        default=None,
        metadata={
            "help": "hf backend on a GPU: the decode step's RMSNorm, RoPE and SiLU*up as liger-kernel's "
            "fused kernels (faster; last-bit rounding differs). null = when installed and they pass "
            "their check, false = never (to repeat samples made without them), true = required."
        },
    )
    decode_attention: str = field(
        default="auto",
        metadata={
            "help": "hf backend: the decode step's attention over prompt and own tokens. triton = Triton "
            "kernels (GPU; faster; float32 scores, so last-bit rounding differs), "
            "torch = batched matmuls (to repeat samples made before the kernel), auto = triton on a "
            "GPU when it runs and passes its check, else torch."
        },
    )
    sampling_kernel: str = field(
        default="auto",
        metadata={
            "help": "hf backend: how temperature + top-p draws each token. triton = a Triton kernel "
            "without a sort (GPU; faster; same distribution, but it walks the kept tokens in "
            "vocabulary order, so a seed's texts differ), torch = one sort per step (to repeat "
            "samples made before the kernel), auto = triton on a GPU when it passes its check, "
            "else torch."
        },
    )
    out: str = field(default="", metadata={"help": "output directory (samples.jsonl + manifest.json)."})

    def __post_init__(self) -> None:
        if not self.model:
            raise ValueError("model is required (--model)")
        if not self.out:
            raise ValueError("out is required (--out)")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if not self.prompt_styles:
            raise ValueError("prompt_styles must name at least one style")
        if len(set(self.prompt_styles)) != len(self.prompt_styles):
            raise ValueError("prompt_styles has duplicates")
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        for option in ("decode_attention", "sampling_kernel"):
            value = getattr(self, option)
            if value not in KERNEL_CHOICES:
                raise ValueError(f"{option} must be one of {', '.join(KERNEL_CHOICES)}, got {value!r}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 or null, got {self.batch_size}")
        bad = [lang for lang in self.languages if lang not in ("c", "cpp", "python", "java")]
        if bad:
            raise ValueError(f"languages: {bad[0]!r} is not one of c, cpp, python, java")
