"""How far a tuned adapter moved the model, on the pair data it was trained on: per side of each
(fixed, vulnerable) pair, KL(base || tuned) over the vocabulary at the tokens the fix left
unchanged and at the tokens it changed (nats per token), and the DPO margin
(log-ratio of the fixed side minus the vulnerable side's, tuned over base).

A recipe that only learns the fix moves the changed tokens and leaves the rest; a large drift on
unchanged tokens is the model rewriting the code around a fix (what ``train.pairs.dpo_kl_weight``
penalises). Runs on CPU (float32) in a few minutes for a 0.5B model and 16 pairs.

    python scripts/pair_kl_drift.py --model .models/qwen2.5-coder-0.5b.gguf \
        --adapter docs/results/secure-tuning/adapters/qwen-coder-0.5b-dpo-lr3e-4-function-all \
        --data runs/secure-tuning/dataset/data-safecoder-all-38b73105d28a/function/train.jsonl --chat
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch


def side_drift(model, ids: list[int], targets: list[bool], changed: list[bool]) -> dict[str, float]:
    """Summed KL at unchanged / changed target tokens, their counts, and the summed log-ratio."""
    x = torch.tensor([ids])
    with torch.no_grad():
        tuned = model(input_ids=x).logits[0, :-1].float().log_softmax(-1)
        with model.disable_adapter():
            base = model(input_ids=x).logits[0, :-1].float().log_softmax(-1)
    nxt = x[0, 1:, None]
    kl = (base.exp() * (base - tuned)).sum(-1)
    ratio = (tuned.gather(-1, nxt) - base.gather(-1, nxt))[:, 0]
    tgt, ch = torch.tensor(targets[1:]), torch.tensor(changed[1:])
    return {
        "kl_unchanged": float(kl[tgt & ~ch].sum()),
        "n_unchanged": int((tgt & ~ch).sum()),
        "kl_changed": float(kl[tgt & ch].sum()),
        "n_changed": int((tgt & ch).sum()),
        "log_ratio": float(ratio[tgt].sum()),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="base model (GGUF, HF folder or hub id)")
    ap.add_argument("--adapter", required=True, help="the tuned peft adapter folder")
    ap.add_argument("--data", required=True, help="pair records (.jsonl with text, before, changed_lines)")
    ap.add_argument("--languages", default="c,cpp", help="comma-separated record languages to use")
    ap.add_argument("--n", type=int, default=16, help="pairs to score")
    ap.add_argument(
        "--every", type=int, default=7, help="take every k-th matching pair (spread over the file)"
    )
    ap.add_argument(
        "--chat", action="store_true", help="pairs framed by the chat template, as trained with it"
    )
    ap.add_argument(
        "--max-tokens",
        type=int,
        default=1024,
        help="skip pairs with a side longer than this (training windows them at max_seq_len)",
    )
    args = ap.parse_args(argv)

    from seccodegen.errors import InputError
    from seccodegen.models.loader import load_model, load_tokenizer
    from seccodegen.records import read_jsonl
    from seccodegen.train.chat import record_frame
    from seccodegen.train.objectives import pair_examples

    try:
        if not Path(args.adapter, "adapter_config.json").is_file():
            raise InputError(f"{args.adapter}: not a peft adapter folder (no adapter_config.json)")
        langs = set(args.languages.split(","))
        rows = [r for r in read_jsonl(args.data) if r.get("language") in langs and r.get("before")][:: args.every][: args.n]
        if not rows:
            raise InputError(f"{args.data}: no pair records in languages {sorted(langs)}")
        tok = load_tokenizer(args.model)
        model = load_model(args.model, adapter=args.adapter, dtype="float32").eval()
    except (InputError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    totals: dict[str, dict[str, float]] = {}
    margins = []
    print(f"command: python scripts/pair_kl_drift.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    scored = 0
    for g, rec in enumerate(rows):
        ratios = {}
        sides = pair_examples(rec, g, tok, record_frame(tok, rec, args.chat))
        if not sides or max(len(ex.ids) for ex in sides) > args.max_tokens:
            continue
        scored += 1
        for ex in sides:
            d = side_drift(model, ex.ids, ex.targets, ex.changed or [False] * len(ex.ids))
            ratios[ex.side] = d.pop("log_ratio")
            acc = totals.setdefault(ex.side, dict.fromkeys(d, 0.0))
            for k, v in d.items():
                acc[k] += v
        if {"fixed", "vulnerable"} <= ratios.keys():
            margins.append(ratios["fixed"] - ratios["vulnerable"])
    print(
        f"pairs: {scored} of {len(rows)} ({args.languages}, sides of at most {args.max_tokens} tokens) from {args.data}"
    )
    print("side        KL/unchanged token  KL/changed token  unchanged tokens  changed tokens")
    for side, t in totals.items():
        per_u = t["kl_unchanged"] / max(t["n_unchanged"], 1)
        per_c = t["kl_changed"] / max(t["n_changed"], 1)
        print(
            f"{side:<11} {per_u:18.3f}  {per_c:16.3f}  {int(t['n_unchanged']):16d}  {int(t['n_changed']):14d}"
        )
    if margins:
        m = sorted(margins)
        print(
            f"DPO margin (tuned over base, nats): median {m[len(m) // 2]:.1f}, min {m[0]:.1f}, max {m[-1]:.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
