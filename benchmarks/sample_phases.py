"""Where (c)'s time goes outside the decode steps: the sample job three times on one engine.

Runs ``HFEngine.generate_ids`` on sample_bench.py's job (the CodeLlama-7B shape, 52 prompts x 30
samples x 100 tokens) three times in one process: *first* (a new decoder: buffers, the CUDA graph
captured at the batch's shape), *second* (the same decoder: buffers and graph reused, what a
second job of the same shape pays), *third* (``engine.close()`` first: a new decoder and capture,
with every kernel already compiled). Each prints its seconds, tokens/s, MFU against the measured
matmul peak, and the time inside the decoder's phases (prefill, buffer loads, graph capture, the
decode loop), each bracketed by a device synchronize.

    python benchmarks/sample_phases.py --json sample_phases.json
    python benchmarks/sample_phases.py --tiny             # CPU smoke run with small shapes
"""

from __future__ import annotations

import argparse
import json
import time

from sample_bench import _IdsOnly, build_model


def _timed(totals: dict, name: str, fn, sync):
    def wrapper(*args, **kwargs):
        sync()
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        sync()
        totals[name] = totals.get(name, 0.0) + time.perf_counter() - t0
        return out

    return wrapper


def main(argv: list[str] | None = None) -> dict:
    import torch
    from machine import header
    from mfu import ModelShape, matmul_peak, peak_line, sample_job_flops

    from seccodegen.sample import decode_loop, prefix_decoder
    from seccodegen.sample.hf_engine import HFEngine

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true", help="small shapes on CPU (a smoke test of this script)")
    ap.add_argument("--json", default="", help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    device = "cpu" if args.tiny or not torch.cuda.is_available() else "cuda"
    prompts_n, samples, new_tokens, prompt_len = (3, 4, 4, 12) if device == "cpu" else (52, 30, 100, 60)

    def sync() -> None:
        if device == "cuda":
            torch.cuda.synchronize()

    print(header())
    model = build_model(device == "cpu", device)
    shape = ModelShape.of(model)
    peak = matmul_peak(device)
    print(peak_line(peak), flush=True)
    vocab = model.config.vocab_size
    prompts = torch.randint(3, vocab, (prompts_n, prompt_len), generator=torch.Generator().manual_seed(1234))
    job_flops = sample_job_flops(shape, prompts_n, prompt_len, prompts_n * samples, new_tokens)
    totals: dict = {}
    cls = prefix_decoder.PrefixSharedDecoder
    replay = cls._replay
    cls.prefill = _timed(totals, "prefill", cls.prefill, sync)
    cls._load = _timed(totals, "load", cls._load, sync)
    capture = _timed(totals, "capture", replay, sync)
    cls._replay = lambda self, window: (capture if window not in self._graphs else replay)(self, window)
    decode_loop.decode_batch = _timed(totals, "decode_loop", decode_loop.decode_batch, sync)

    engine = HFEngine(model, _IdsOnly(), device, ignore_eos=True)
    engine.generate_ids(prompts[:2].tolist(), samples, 0.8, 0.9, 4, seed=0)  # kernels compiled here
    engine.close()
    results: dict = {"rows_per_batch": engine.rows_per_batch(new_tokens)}
    for run in ("first", "second", "third"):
        if run == "third":
            engine.close()
        totals.clear()
        sync()
        t0 = time.perf_counter()
        engine.generate_ids(prompts.tolist(), samples, 0.8, 0.9, new_tokens, seed=0)
        sync()
        seconds = time.perf_counter() - t0
        results[run] = {
            "seconds": seconds, "tokens_per_s": prompts_n * samples * new_tokens / seconds,
            "mfu": job_flops / seconds / peak["flops_per_s"], **{k: round(v, 4) for k, v in totals.items()},
        }  # fmt: skip
        print(run, json.dumps(results[run]), flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return results


if __name__ == "__main__":
    main()
