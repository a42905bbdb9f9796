"""The decode step's attention alone: the Triton kernels against the batched matmuls, per layer.

Times one layer's attention of ``PrefixSharedDecoder`` (``sample/decode_attention.py``) on the
shapes of ``sample_bench.py``'s job: 26 prompts x 30 rows, 60 prompt tokens, a 100-token own
cache, at own lengths 12, 50 and 99 (early, middle, last step), for the CodeLlama-7B heads (32
query and 32 kv heads of 128) and for Qwen2.5-Coder-1.5B's (12 query heads on 2 kv heads, GQA).
The Triton row is timed for every launch setting of the own-key kernel in ``--launches`` (query
heads per program, own positions per block, warps); the best total over the three lengths is
printed last, to be copied into ``decode_attention_kernel.OWN_LAUNCH``. Also printed: the own
keys' and values' bytes over the time (GB/s), against the GPU's memory bandwidth.

    python benchmarks/decode_attention_bench.py                       # GPU
    python benchmarks/decode_attention_bench.py --launches 1,32,4 2,32,4 --reps 100
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

DEFAULT_LAUNCHES = [f"{h},{b},{w}" for h, b, w in itertools.product((1, 2, 4), (16, 32, 64), (2, 4, 8))]
SHAPES = {"codellama-7b": (32, 32, 128), "qwen2.5-coder-1.5b": (12, 2, 128)}  # heads, kv heads, head dim


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--launches", nargs="+", default=DEFAULT_LAUNCHES, help="heads,block,warps settings")
    ap.add_argument("--lengths", default="12,50,99", help="own positions t to time at, comma-separated")
    ap.add_argument("--reps", type=int, default=50, help="timed calls per setting and length")
    ap.add_argument("--shapes", default=",".join(SHAPES), help=f"of {', '.join(SHAPES)}")
    ap.add_argument("--json", type=Path, help="also write every timing and each shape's best launch here")
    return ap.parse_args(argv)


class _Layer:
    """The attributes of ``PrefixSharedDecoder`` the attention reads, for one layer at full size."""

    def __init__(
        self, heads: int, kv_heads: int, head_dim: int, prompts=26, n=30, prefix=60, own=100
    ) -> None:
        import torch

        from seccodegen.sample.prefix_decoder import _Cache

        dev, dt = "cuda", torch.bfloat16
        rows = prompts * n
        self.n_kv, self.group, self.head_dim, self.scale = (
            kv_heads,
            heads // kv_heads,
            head_dim,
            head_dim**-0.5,
        )
        bias = torch.zeros(prompts, prefix, device=dev)
        bias[::2, :7] = float("-inf")  # every other prompt left-padded by 7 tokens
        self.cache = _Cache(
            prefix_k=[torch.randn(prompts, kv_heads, prefix, head_dim, device=dev, dtype=dt)],
            prefix_v=[torch.randn(prompts, kv_heads, prefix, head_dim, device=dev, dtype=dt)],
            prefix_bias=bias[:, None, None, None, :].contiguous(),
            row_lengths=torch.full((rows,), prefix, device=dev),
            own_k=[torch.randn(rows, kv_heads, own, head_dim, device=dev, dtype=dt)],
            own_v=[torch.randn(rows, kv_heads, own, head_dim, device=dev, dtype=dt)],
            tokens=torch.zeros(rows, dtype=torch.long, device=dev),
            t=torch.zeros(1, dtype=torch.long, device=dev),
            n=n,
        )
        q = torch.randn(rows, 1, heads * head_dim, device=dev, dtype=dt)  # as the q projection gives it
        self.q = q.view(rows, 1, heads, head_dim).transpose(1, 2)

    def own_bytes(self, t: int) -> int:
        k = self.cache.own_k[0]
        return 2 * k.shape[0] * k.shape[1] * (t + 1) * k.shape[3] * k.element_size()


def time_us(fn, reps: int) -> float:
    import torch

    for _ in range(3):
        fn()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    for _ in range(reps):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) * 1000 / reps


def main(argv: list[str] | None = None) -> int:
    import torch
    from machine import header  # benchmarks/machine.py

    args = parse_args(argv)
    print(header())
    if not torch.cuda.is_available():
        print("no CUDA GPU: this benchmark times GPU kernels only")
        return 0
    from seccodegen.sample.decode_attention import TORCH_ATTENTION, TritonAttention
    from seccodegen.sample.kernel_choice import error_line

    lengths = [int(x) for x in args.lengths.split(",")]
    launches = [tuple(int(x) for x in s.split(",")) for s in args.launches]
    record: dict = {"command": " ".join(sys.argv), "machine": header(), "shapes": {}}
    for shape in args.shapes.split(","):
        layer = _Layer(*SHAPES[shape])
        c = layer.cache
        print(f"\n{shape}: {c.own_k[0].shape[0]} rows, heads {layer.n_kv * layer.group}/{layer.n_kv}, "
              f"prefix {c.prefix_k[0].shape[2]}, own cache {c.own_k[0].shape[2]}; us per layer call")  # fmt: skip
        totals: dict[str, float] = {}
        for t in lengths:
            c.t.fill_(t)
            window = min(c.own_k[0].shape[2], (t // 16 + 1) * 16)  # the matmul path's CUDA-graph window
            mask = torch.zeros(window, device="cuda").masked_fill_(
                torch.arange(window, device="cuda") > t, -torch.inf
            )
            rows = {"batched matmuls (window)": partial(TORCH_ATTENTION, layer, layer.q, 0, window, mask)}
            for launch in launches:  # the decoder's own call, with this launch of the own-key kernel
                rows[f"triton {launch}"] = partial(TritonAttention(launch), layer, layer.q, 0, window, None)
            for name, fn in rows.items():
                try:
                    us = time_us(fn, args.reps)
                except Exception as exc:  # noqa: BLE001  (a setting Triton cannot compile: say so, go on)
                    print(f"  t={t:3d}  {name:28s}  failed: {error_line(exc)[:100]}")
                    totals[name] = float("inf")
                    continue
                totals[name] = totals.get(name, 0.0) + us
                record["shapes"].setdefault(shape, {"us": {}})["us"].setdefault(name, {})[t] = us
                gbs = layer.own_bytes(t) / us / 1e3
                print(f"  t={t:3d}  {name:28s} {us:8.1f} us  own k/v {gbs:6.0f} GB/s")
        best = min((k for k in totals if k.startswith("triton")), key=totals.get)
        print(f"  sum over t={args.lengths}: batched matmuls {totals['batched matmuls (window)']:.1f} us, "
              f"best Triton {best} {totals[best]:.1f} us")  # fmt: skip
        record["shapes"][shape]["best_launch"] = best.removeprefix("triton ")
    if args.json:
        args.json.write_text(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
