"""Device half of the objectives comparison (docs/results/objectives.md), in ONE process so the
GPU start-up and the GGUF conversion are paid once.

For the pretrained model and one LoRA adapter per objective (lm, masked-lm, unlikelihood, dpo) it
runs what these commands run (printed to the log as it goes):

    seccodegen train  --model M --data DATA --out W/train-OBJ --set method=lora --set objective=OBJ ...
    seccodegen sample --model M [--adapter W/train-OBJ] --languages c,cpp --n N ... --out W/samples-NAME
    (HumanEval-X C++ generation only: seccodegen.humaneval.core.generate -> W/humaneval-NAME/completions.jsonl)

Execution of HumanEval programs and judging happen on the CPU machine afterwards
(scripts/objectives_experiment.sh local), because they need g++/analyzers and no GPU.

Usage: python scripts/objectives_device.py --model M.gguf --data DATASET_DIR --humaneval H.jsonl.gz
       --work W [--n 10] [--he-n 5] [--objectives lm,masked-lm,unlikelihood,dpo]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _allow_humaneval_without_pandas() -> None:
    """humaneval.core needs only report.stats (pure Python), but report/__init__ imports pandas,
    which the GPU image may lack: register the package without running its __init__ there."""
    import importlib.util
    import sys
    import types

    if importlib.util.find_spec("pandas") is not None:
        return
    import seccodegen

    pkg = types.ModuleType("seccodegen.report")
    pkg.__path__ = [str(Path(seccodegen.__file__).parent / "report")]
    sys.modules["seccodegen.report"] = pkg


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--humaneval", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--objectives", default="lm,masked-lm,unlikelihood,dpo")
    ap.add_argument("--max-seq-len", type=int, default=2048)
    ap.add_argument("--n", type=int, default=10, help="samples per scenario")
    ap.add_argument("--he-n", type=int, default=5, help="HumanEval completions per task")
    ap.add_argument("--he-limit", type=int, default=None)
    ap.add_argument("--he-max-new-tokens", type=int, default=384)
    ap.add_argument("--extra-train-set", action="append", default=[], help="key=value for train")
    args = ap.parse_args()

    _allow_humaneval_without_pandas()
    from seccodegen.config import load_config
    from seccodegen.humaneval.core import HumanEvalConfig, generate
    from seccodegen.humaneval.tasks import load_tasks
    from seccodegen.models.loader import resolve_model_dir
    from seccodegen.sample.config import SampleConfig
    from seccodegen.sample.stage import run as sample_run
    from seccodegen.train.config import TrainConfig
    from seccodegen.train.loop import run as train_run

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    model = resolve_model_dir(args.model)  # GGUF -> bf16 safetensors folder, once
    log(f"model folder {model} ({time.perf_counter() - t0:.1f}s)")
    timings: dict[str, float] = {}

    runs: list[tuple[str, str | None]] = [("pretrained", None)]
    for obj in [o for o in args.objectives.split(",") if o]:
        out = work / f"train-{obj}"
        sets = [
            "method=lora",
            f"objective={obj}",
            f"max_seq_len={args.max_seq_len}",
            "granularity=function",
            "save_every=0",
            "log_every=20",
            *args.extra_train_set,  # lr, batch, epochs: the study's lora defaults
        ]
        log(
            "seccodegen train --model M --data DATA --out "
            + str(out)
            + " "
            + " ".join(f"--set {s}" for s in sets)
        )
        t = time.perf_counter()
        cfg = load_config(TrainConfig, None, sets, base={"model": model, "data": args.data, "out": str(out)})
        train_run(cfg, force=True)
        timings[f"train-{obj}"] = time.perf_counter() - t
        summary = json.loads((out / "manifest.json").read_text()).get("summary", {})
        log(f"trained {obj} in {timings[f'train-{obj}']:.1f}s: {summary}")
        runs.append((obj, str(out)))

    for name, adapter in runs:
        out = work / f"samples-{name}"
        log(
            f"seccodegen sample --model M {'--adapter ' + adapter if adapter else ''} --languages c,cpp "
            f"--n {args.n} --temperature 0.8 --top-p 0.9 --max-new-tokens 100 --seed 0 --out {out}"
        )
        t = time.perf_counter()
        sample_run(
            SampleConfig(
                model=model,
                adapter=adapter,
                languages=("c", "cpp"),
                n=args.n,
                temperature=0.8,
                top_p=0.9,
                max_new_tokens=100,
                seed=0,
                out=str(out),
            ),
            force=True,
        )
        timings[f"sample-{name}"] = time.perf_counter() - t
        log(f"sampled {name} in {timings[f'sample-{name}']:.1f}s")

    tasks = load_tasks(args.humaneval, args.he_limit)
    for name, adapter in runs:
        out = work / f"humaneval-{name}"
        out.mkdir(parents=True, exist_ok=True)
        cfg = HumanEvalConfig(
            data=args.humaneval,
            model=model,
            adapter=adapter,
            out=str(out),
            n=args.he_n,
            max_new_tokens=args.he_max_new_tokens,
            tasks_per_batch=len(tasks),
            limit=args.he_limit,
            allow_exec=True,
        )
        log(
            f"humaneval generate {name}: n={cfg.n} T={cfg.temperature} top_p={cfg.top_p} "
            f"max_new_tokens={cfg.max_new_tokens} seed={cfg.seed} -> {out}/completions.jsonl"
        )
        t = time.perf_counter()
        generate(cfg, tasks, out / "completions.jsonl")
        timings[f"humaneval-{name}"] = time.perf_counter() - t
        log(f"generated humaneval {name} in {timings[f'humaneval-{name}']:.1f}s")
    (work / "device_timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    log(f"all done in {time.perf_counter() - t0:.1f}s")


if __name__ == "__main__":
    main()
