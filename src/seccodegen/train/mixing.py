"""Mixing general instruction data into training, to keep general ability while tuning for security.

``mix_data`` is a JSONL file of instruction records in the SafeCoder / Alpaca layout
(``{"instruction", "input", "output"}``, e.g. ``safecoder-pairs/val/lmsys.jsonl``); records that
already carry a ``text`` string (dataset_example records) are taken as they are.

``mix_ratio`` r is the fraction of the training *records* drawn from it: with T task records that
yield examples (a pair objective's record = its two sides), round(r * T / (1 - r)) instruction
records are drawn, seeded by ``seed``, without repeats while the file lasts (each further pass over
the file is reshuffled). They become examples of side ``"mix"`` whose every token is a target, and
every objective trains them with the plain lm loss (see objectives.py). Validation is not mixed.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from seccodegen.errors import InputError
from seccodegen.records import read_jsonl
from seccodegen.train.chat import chat_head
from seccodegen.train.data import Example, tokenize_with_mask

MIX_SIDE = "mix"


def instruction_question(record: dict[str, Any]) -> str:
    """The instruction and the input (if any), blank-line separated: what the answer answers."""
    parts = [record["instruction"].strip()]
    if (record.get("input") or "").strip():
        parts.append(record["input"].strip())
    return "\n\n".join(parts)


def instruction_text(record: dict[str, Any]) -> str:
    """One training text: the instruction, the input (if any) and the answer, blank-line separated."""
    if isinstance(record.get("text"), str):
        return record["text"]
    return f"{instruction_question(record)}\n\n{record['output']}"


def load_mix_records(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path).expanduser()
    if not p.is_file():
        raise InputError(f"mix_data {p} does not exist")
    records = []
    for i, rec in enumerate(read_jsonl(p)):
        has_text = isinstance(rec.get("text"), str)
        if not has_text and not (
            isinstance(rec.get("instruction"), str) and isinstance(rec.get("output"), str)
        ):
            raise InputError(
                f"{p}: record {i + 1} has neither 'text' nor 'instruction' + 'output' strings; "
                "mix_data must be instruction JSONL like safecoder-pairs/val/lmsys.jsonl"
            )
        if instruction_text(rec).strip():
            records.append(rec)
    if not records:
        raise InputError(f"mix_data {p} has no records with text")
    return records


def mix_count(task_records: int, ratio: float) -> int:
    """Instruction records to add so that they are ``ratio`` of all training records."""
    if ratio <= 0 or task_records <= 0:
        return 0
    return round(ratio * task_records / (1.0 - ratio))


def draw(records: list[dict[str, Any]], count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` records, seeded; no repeats until every record was drawn once."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    while len(out) < count:
        order = list(range(len(records)))
        rng.shuffle(order)
        out.extend(records[i] for i in order[: count - len(out)])
    return out


def mix_examples(
    path: str | Path, ratio: float, seed: int, task_examples: list[Example], tokenizer: Any, chat: bool = False
) -> list[Example]:
    """Tokenized instruction examples to append to ``task_examples`` (new group ids after theirs);
    ``chat``: each is one chat turn (instruction + input as the user, the output the answer, the
    only target), as SafeCoder trains its instruction data."""
    task_groups = {e.group for e in task_examples}
    count = mix_count(len(task_groups), ratio)
    if count == 0:
        return []
    first = max(task_groups) + 1
    out = []
    for k, rec in enumerate(draw(load_mix_records(path), count, seed)):
        if chat and not isinstance(rec.get("text"), str):
            frame = (chat_head(tokenizer, instruction_question(rec)), "")
            ids, targets = tokenize_with_mask(tokenizer, rec["output"], None, frame)
        else:
            ids, targets = tokenize_with_mask(tokenizer, instruction_text(rec), None)
        out.append(Example(ids, targets, first + k, MIX_SIDE))
    return out
