"""The ``hf`` backend: our batched decode loop over a transformers model.

Work is split into *groups* (one prompt x up to ``max_batch`` of its samples); groups with the
same sample count are packed into balanced batches of at most ``max_batch`` rows (default on a
GPU: what 75% of free memory holds), prompts of similar length together (less left padding).
Llama-family models run on :class:`PrefixSharedDecoder` (prompt prefilled once per group and
its KV shared by the group's samples, static KV buffers, one CUDA graph replay per step on a
GPU, the decode step's RMSNorm, RoPE and SiLU*up as liger-kernel's fused kernels where it is
installed: sample/fused_kernels.py); any other model runs through its own HF forward with a KV
cache. LoRA / IA3 adapters are merged into the weights first. Every sample has its own random stream (``sample_seed``), so a
sample does not depend on the batch it ran in. Throughput: docs/performance.md, "Sample".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from seccodegen.errors import ModelLoadError
from seccodegen.sample.engine import ENGINES, Completion, StopCheck, cut_at_stop
from seccodegen.sample.sampler import derive_seed

CPU_MAX_BATCH = 64  # rows decoded together on CPU
GPU_CACHE_FRACTION = 0.75  # of free GPU memory (after loading) given to the KV cache


@dataclass(frozen=True)
class _Group:
    prompt: int  # index into the prompts list
    first: int  # sample index of its first row
    count: int  # rows


def sample_seed(prompt_seed: int, sample_index: int) -> int:
    """The random stream of one sample: a function of its prompt's seed and its index only."""
    return derive_seed("sample", prompt_seed, sample_index)


class HFEngine:
    name = "hf"

    def __init__(
        self,
        lm: Any,
        tokenizer: Any,
        device: str,
        max_batch: int | None = None,
        check_every: int = 8,
        ignore_eos: bool = False,
        prefix_sharing: bool = True,
        cuda_graphs: bool | None = None,
        fused_kernels: bool | None = None,
        decode_attention: str = "auto",
        sampling_kernel: str = "auto",
    ) -> None:
        from seccodegen.sample import prefix_decoder
        from seccodegen.sample.decode_attention import decode_attention as attention_for
        from seccodegen.sample.fused_kernels import decode_kernels
        from seccodegen.sample.hf_loading import eos_token_ids
        from seccodegen.sample.sampler import sampler_for

        self.lm, self.tokenizer, self.device = lm, tokenizer, device
        self.max_batch = max_batch
        self.check_every = check_every
        self.eos_ids = frozenset() if ignore_eos else frozenset(eos_token_ids(lm, tokenizer))
        self.use_prefix_decoder = prefix_sharing and prefix_decoder.supports(lm)
        self.cuda_graphs = cuda_graphs
        self.fused_kernels = fused_kernels  # None: liger-kernel's when on a GPU and installed
        if fused_kernels:  # required: say now why they cannot run, not at the first batch
            if not self.use_prefix_decoder:
                raise ModelLoadError(
                    "fused decode kernels (fused_kernels: true) need a Llama-family model on the "
                    "prefix decoder; set fused_kernels to null or false"
                )
            decode_kernels(lm, True)
        self.decode_attention = decode_attention  # auto: the Triton kernel on a GPU when it runs
        if decode_attention == "triton":
            if not self.use_prefix_decoder:
                raise ModelLoadError(
                    "decode_attention: triton needs a Llama-family model on the prefix decoder; "
                    "set it to auto or torch"
                )
            # required: say now why it cannot run, not at the first batch
            attention_for(lm.lm_head.weight.device, prefix_decoder.head_dim(lm.config), "triton")
        # auto: the Triton top-p kernel on a GPU when it passes its check; triton: required (fails now)
        self.sampler = sampler_for(device, sampling_kernel)
        self._decoder: Any = None  # kept across batches: same-shape batches reuse buffers + graphs
        self._rows_cap: dict[int, int] = {}

    # -- sizing -------------------------------------------------------------------------------

    def rows_per_batch(self, max_new_tokens: int, prompt_tokens: int = 0) -> int:
        if self.max_batch:
            return self.max_batch
        if not self.device.startswith("cuda"):
            return CPU_MAX_BATCH
        # the prefix decoder stores a prompt once per group; HF's cache stores it per row, and
        # grows by concatenation (old + new copy alive at once: x2)
        per_row_tokens = max_new_tokens if self.use_prefix_decoder else 2 * (max_new_tokens + prompt_tokens)
        if per_row_tokens not in self._rows_cap:  # measured once: later our own buffers fill memory
            self._rows_cap[per_row_tokens] = self._rows_from_free_memory(per_row_tokens)
        return self._rows_cap[per_row_tokens]

    def _rows_from_free_memory(self, kv_tokens: int) -> int:
        import torch

        from seccodegen.sample.prefix_decoder import head_dim

        cfg = self.lm.config
        kv = getattr(cfg, "num_key_value_heads", None) or cfg.num_attention_heads
        elem = torch.finfo(self.lm.dtype).bits // 8
        # KV per row, plus ~6 float32/int64 vocab-sized buffers for sampling
        per_row = cfg.num_hidden_layers * 2 * kv * head_dim(cfg) * kv_tokens * elem + 6 * 8 * cfg.vocab_size
        free, _ = torch.cuda.mem_get_info()
        free += torch.cuda.memory_reserved() - torch.cuda.memory_allocated()  # cached by torch, unused
        return max(1, min(4096, int(free * GPU_CACHE_FRACTION) // per_row))

    def _stepper(self) -> Any:
        from seccodegen.sample.decode_loop import HFForwardStepper
        from seccodegen.sample.prefix_decoder import PrefixSharedDecoder

        if not self.use_prefix_decoder:
            return HFForwardStepper(self.lm)
        if self._decoder is None:
            self._decoder = PrefixSharedDecoder(
                self.lm,
                cuda_graphs=self.cuda_graphs,
                fused_kernels=self.fused_kernels,
                attention=self.decode_attention,
            )
        return self._decoder

    @property
    def decode_kernels(self) -> str:
        """What the decode step ran its RMSNorm/RoPE/MLP and attention with (once the prefix
        decoder is built) and what drew the tokens."""
        sampling = f"sampling: {self.sampler.name}"
        if self._decoder is None:
            return sampling
        return f"{self._decoder.kernels.name}, attention: {self._decoder.attention.name}, {sampling}"

    def close(self) -> None:
        """Free the decode buffers (the model stays loaded)."""
        if self._decoder is not None:
            self._decoder.free()
            self._decoder = None

    # -- generation ---------------------------------------------------------------------------

    def generate(
        self,
        prompts: list[str],
        n: int,
        temperature: float,
        top_p: float,
        max_new_tokens: int,
        seed: int,
        stop: list[str] | None = None,
        *,
        prompt_seeds: Sequence[int] | None = None,
        sample_offsets: Sequence[int] | None = None,
        stop_check: StopCheck | None = None,
    ) -> list[list[Completion]]:
        from seccodegen.sample.hf_loading import encode_prompts

        encoded = encode_prompts(self.tokenizer, prompts)
        token_lists = self.generate_ids(
            encoded,
            n,
            temperature,
            top_p,
            max_new_tokens,
            seed,
            stop,
            prompt_seeds=prompt_seeds,
            sample_offsets=sample_offsets,
            stop_check=stop_check,
        )
        out: list[list[Completion]] = []
        for i, rows in enumerate(token_lists):
            completions = []
            for ids, reason in rows:
                text = self._decode(encoded[i], ids)
                if stop:  # a stop string ends the text; the tokens that made it are kept
                    text, found = cut_at_stop(text, stop)
                    reason = "stop" if found else reason
                completions.append(Completion(text, reason, len(encoded[i]), len(ids)))
            out.append(completions)
        return out

    def _decode(self, prompt_ids: list[int], ids: list[int]) -> str:
        """Completion text in context: decode(last prompt token + ids) minus decode(last token),
        so tokenizers that drop a leading space of a lone first token (SentencePiece) do not."""
        ctx = prompt_ids[-1:]
        head = self.tokenizer.decode(ctx, skip_special_tokens=True)
        full = self.tokenizer.decode(ctx + ids, skip_special_tokens=True)
        return (
            full[len(head) :]
            if full.startswith(head)
            else self.tokenizer.decode(ids, skip_special_tokens=True)
        )

    def generate_ids(
        self,
        encoded: list[list[int]],
        n: int,
        temperature: float,
        top_p: float,
        max_new_tokens: int,
        seed: int,
        stop: Sequence[str] | None = None,
        *,
        prompt_seeds: Sequence[int] | None = None,
        sample_offsets: Sequence[int] | None = None,
        stop_check: StopCheck | None = None,
    ) -> list[list[tuple[list[int], str]]]:
        """Token-level generate: ``(completion ids, finish reason)`` x ``n`` per prompt."""
        import torch

        from seccodegen.sample.decode_loop import StopRules, decode_batch
        from seccodegen.sample.hf_loading import left_pad

        if prompt_seeds is None:
            prompt_seeds = [derive_seed("prompt", seed, i) for i in range(len(encoded))]
        offsets = list(sample_offsets) if sample_offsets is not None else [0] * len(encoded)
        if len(prompt_seeds) != len(encoded) or len(offsets) != len(encoded):
            raise ValueError(f"{len(prompt_seeds)} seeds / {len(offsets)} offsets for {len(encoded)} prompts")
        rows_cap = self.rows_per_batch(max_new_tokens, max(map(len, encoded), default=0))
        per_group = min(n, rows_cap)
        groups = [
            _Group(i, s, min(per_group, n - s)) for i in range(len(encoded)) for s in range(0, n, per_group)
        ]
        # batches: same row count per group (the decoder's [groups, n] layout), similar lengths,
        # and balanced sizes (3 batches of 18 groups rather than 22 + 22 + 8)
        groups.sort(key=lambda g: (g.count, len(encoded[g.prompt]), g.prompt, g.first))
        batches: list[list[_Group]] = []
        for count in sorted({g.count for g in groups}):
            same = [g for g in groups if g.count == count]
            n_batches = -(-len(same) // max(1, rows_cap // count))
            size = -(-len(same) // n_batches)
            batches.extend(same[i : i + size] for i in range(0, len(same), size))
        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        results: list[list[tuple[list[int], str] | None]] = [[None] * n for _ in encoded]
        with torch.inference_mode():
            for batch in batches:
                rules = StopRules(
                    decode=lambda gi, ids, b=batch: self._decode(encoded[b[gi].prompt], ids),
                    eos_ids=self.eos_ids,
                    stop=tuple(s for s in (stop or ()) if s),
                    stop_check=(lambda gi, text, b=batch: stop_check(b[gi].prompt, text))
                    if stop_check
                    else None,
                )
                input_ids, mask = left_pad([encoded[g.prompt] for g in batch], pad_id, self.device)
                count = batch[0].count
                seeds = [
                    sample_seed(prompt_seeds[g.prompt], offsets[g.prompt] + g.first + j)
                    for g in batch
                    for j in range(count)
                ]
                rows = decode_batch(
                    self._stepper(),
                    input_ids,
                    mask,
                    count,
                    seeds,
                    temperature,
                    top_p,
                    max_new_tokens,
                    rules,
                    self.check_every,
                    sample=self.sampler,
                )
                for gi, g in enumerate(batch):
                    for j in range(count):
                        results[g.prompt][g.first + j] = rows[gi * count + j]
        return results  # type: ignore[return-value]


@ENGINES.register("hf")
def make_hf_engine(
    model: str,
    adapter: str | None = None,
    dtype: str | None = None,
    device: str | None = None,
    **options: Any,
) -> HFEngine:
    from seccodegen.sample.hf_loading import load_for_sampling

    lm, tokenizer, dev = load_for_sampling(model, adapter, dtype, device, merge_adapter=True)
    return HFEngine(lm, tokenizer, dev, **options)
