"""Training data: read dataset records, tokenize them, pack them into rows, cut rows into batches.

Truncation/packing policy:

* each record becomes ``tokenizer(text) + [eos]``; a sample longer than ``max_seq_len`` tokens is
  split into consecutive windows of ``max_seq_len`` tokens (no token is dropped; each window is
  a sample of its own, so its first token is not a target);
* ``packing=true``: samples are placed best-fit-decreasing into rows of at most ``max_seq_len``
  tokens; ``position_ids`` restart at 0 for every sample, which transformers turns into a
  block-diagonal causal mask (sdpa/eager/flex) or varlen kernels (flash-attention), so a sample
  never attends to another one and never predicts the first token of the next;
* ``packing=false``: one sample per row;
* a batch pads its rows to its longest row; the padding is one more "sample" whose tokens are
  never targets.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccodegen.errors import InputError
from seccodegen.records import read_jsonl

IGNORE = -100  # target value of positions that carry no loss


@dataclass
class Example:
    """One tokenized sample. ``targets[i]``: token ``i`` is predicted (has loss) from tokens < i."""

    ids: list[int]
    targets: list[bool]
    group: int = 0  # index of the source record (pair objectives use it to join the two sides)
    side: str = "text"  # which side of a record this is ("text", "fixed", "vulnerable")
    changed: list[bool] | None = None  # per token: on a line the fix changed (pair objectives)


@dataclass
class Batch:
    """Tensors of one micro-batch (all [rows, length]) plus per-token example indices."""

    input_ids: Any
    position_ids: Any
    targets: Any  # next-token ids at each position, IGNORE where no loss
    example_index: Any  # index into ``examples`` of the token's sample, -1 for padding
    changed: Any = None  # bool: the predicted token lies on a changed line
    examples: list[Example] = field(default_factory=list)
    real_tokens: int = 0  # non-padding tokens (for tokens/s)


def resolve_data_files(data: str, granularity: str, val_data: str | None) -> tuple[Path, Path | None]:
    """(train file, val file or None) from a dataset dir or a .jsonl path."""
    p = Path(data).expanduser()
    if p.is_dir():
        train = p / granularity / "train.jsonl"
        if not train.is_file():
            raise InputError(
                f"{train} does not exist; build it with `seccodegen dataset` or pass a .jsonl file"
            )
        default_val: Path | None = train.with_name("val.jsonl")
    elif p.is_file():
        train = p
        default_val = p.with_name("val.jsonl") if p.name.startswith("train") else None
    else:
        raise InputError(f"training data {p} does not exist")
    if val_data:
        val = Path(val_data).expanduser()
        if not val.is_file():
            raise InputError(f"validation data {val} does not exist")
        return train, val
    return train, default_val if default_val is not None and default_val.is_file() else None


def load_records(path: Path, granularity: str | None = None) -> list[dict[str, Any]]:
    """Records of a dataset file with a non-empty ``text``; ``granularity`` filters mixed files."""
    records = []
    for i, rec in enumerate(read_jsonl(path)):
        if not isinstance(rec.get("text"), str):
            raise InputError(f"{path}: record {i + 1} has no 'text' string; is this a dataset_example file?")
        if granularity and rec.get("granularity") not in (None, granularity):
            continue
        if rec["text"].strip():
            records.append(rec)
    if not records:
        raise InputError(f"{path} has no records with text (granularity {granularity!r})")
    return records


def changed_char_spans(text: str, changed_lines: list[int]) -> list[tuple[int, int]]:
    """Character spans [start, end) of the 1-based ``changed_lines`` of ``text`` (newline included)."""
    wanted = set(changed_lines)
    spans, start = [], 0
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        if number in wanted:
            spans.append((start, start + len(line)))
        start += len(line)
    return spans


def tokenize_with_mask(
    tokenizer: Any, text: str, spans: list[tuple[int, int]] | None, frame: tuple[str, str] = ("", "")
) -> tuple[list[int], list[bool]]:
    """Token ids of ``text`` + EOS, and per token whether it is a target.

    ``spans`` None: every token is a target. Otherwise a token is a target iff its characters
    overlap one of the spans (special tokens such as BOS/EOS are then not targets).
    ``frame`` (head, tail) wraps ``text`` (a chat turn, see chat.py): the head is context only
    (never a target, and it brings its own special tokens); with ``spans`` None the tail and EOS
    are targets too, so the model learns to close its answer.
    """
    head, tail = frame
    if not head and not tail:
        enc = tokenizer(text, add_special_tokens=True, return_offsets_mapping=spans is not None)
        ids = list(enc["input_ids"])
        if spans is None:
            mask = [True] * len(ids)
        else:
            mask = [_overlaps(start, end, spans) for start, end in enc["offset_mapping"]]
    else:
        full = head + text + tail
        enc = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
        ids = list(enc["input_ids"])
        shift = len(head)
        wanted = [(shift, len(full))] if spans is None else [(a + shift, b + shift) for a, b in spans]
        # a token that straddles the head's end is context: the answer's targets start after it
        mask = [start >= shift and _overlaps(start, end, wanted) for start, end in enc["offset_mapping"]]
    if tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
        mask.append(spans is None)
    return ids, mask


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return end > start and any(start < s_end and end > s_start for s_start, s_end in spans)


def removed_lines(before: str, after: str) -> list[int]:
    """1-based lines of ``before`` that the fix deleted or replaced (the vulnerable side's change)."""
    import difflib

    a, b = before.splitlines(), after.splitlines()
    out: list[int] = []
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            out.extend(range(i1 + 1, i2 + 1))
    return out


def split_windows(example: Example, max_len: int) -> list[Example]:
    """Cut an example into windows of ``max_len`` tokens (the first token of each is never a target)."""
    out = []
    for start in range(0, len(example.ids), max_len):
        ids = example.ids[start : start + max_len]
        targets = [False] + example.targets[start + 1 : start + max_len]
        changed = example.changed[start : start + max_len] if example.changed is not None else None
        if len(ids) >= 2 and any(targets):
            out.append(Example(ids, targets, example.group, example.side, changed))
    return out


def truncate(example: Example, max_len: int) -> Example:
    c = example.changed[:max_len] if example.changed is not None else None
    return Example(example.ids[:max_len], example.targets[:max_len], example.group, example.side, c)


def pack_rows(lengths: list[int], max_len: int, packing: bool) -> list[list[int]]:
    """Group example indices into rows: best-fit-decreasing bins of ``max_len`` tokens, or one per row."""
    if not packing:
        return [[i] for i in range(len(lengths))]
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    rows: list[list[int]] = []
    free: list[tuple[int, int]] = []  # (free tokens, row index), kept sorted
    for i in order:
        at = bisect.bisect_left(free, (lengths[i], -1))
        if at < len(free):
            space, row = free.pop(at)
        else:
            space, row = max_len, len(rows)
            rows.append([])
        rows[row].append(i)
        if space - lengths[i] > 1:  # a single free token can hold no trainable sample
            bisect.insort(free, (space - lengths[i], row))
    return rows


def collate(rows: list[list[Example]], pad_id: int) -> Batch:
    """Concatenate each row's examples; targets are the next token within the same example."""
    import torch

    width = max(sum(len(e.ids) for e in row) for row in rows) if rows else 1
    n = len(rows)
    input_ids = torch.full((n, width), pad_id, dtype=torch.long)
    position_ids = torch.zeros((n, width), dtype=torch.long)
    targets = torch.full((n, width), IGNORE, dtype=torch.long)
    example_index = torch.full((n, width), -1, dtype=torch.long)
    changed = torch.zeros((n, width), dtype=torch.bool)
    examples: list[Example] = []
    real = 0
    for r, row in enumerate(rows):
        col = 0
        for ex in row:
            k = len(ex.ids)
            ids = torch.tensor(ex.ids, dtype=torch.long)
            input_ids[r, col : col + k] = ids
            position_ids[r, col : col + k] = torch.arange(k)
            tgt = torch.tensor(ex.targets[1:], dtype=torch.bool)
            targets[r, col : col + k - 1] = torch.where(tgt, ids[1:], torch.full_like(ids[1:], IGNORE))
            example_index[r, col : col + k] = len(examples)
            if ex.changed is not None:
                changed[r, col : col + k - 1] = torch.tensor(ex.changed[1:], dtype=torch.bool)
            examples.append(ex)
            col += k
            real += k
        if col < width:  # padding restarts positions so it forms its own segment
            position_ids[r, col:] = torch.arange(width - col)
    return Batch(
        input_ids, position_ids, targets, example_index, changed=changed, examples=examples, real_tokens=real
    )


@dataclass
class PackedSet:
    """Examples and their rows (each row a list of example indices)."""

    examples: list[Example]
    rows: list[list[int]]

    def batch(self, row_ids: list[int], pad_id: int) -> Batch:
        return collate([[self.examples[i] for i in self.rows[r]] for r in row_ids], pad_id)

    @property
    def target_tokens(self) -> int:
        return sum(sum(e.targets[1:]) for e in self.examples)


def build_packed_set(
    examples: list[Example], max_len: int, packing: bool, keep_groups: bool = False
) -> PackedSet:
    """Windows of every example packed into rows; ``keep_groups``: the examples of one group (the
    two sides of a pair) share a row, each side cut to ``max_len // 2`` tokens if the pair is longer."""
    if not keep_groups:
        windows = [w for ex in examples for w in split_windows(ex, max_len)]
        if not windows:
            raise InputError(
                "no training tokens after tokenization (are all changed_lines empty for masked-lm?)"
            )
        return PackedSet(windows, pack_rows([len(w.ids) for w in windows], max_len, packing))
    groups: dict[int, list[Example]] = {}
    for ex in examples:
        groups.setdefault(ex.group, []).append(ex)
    if not groups:
        raise InputError("no (vulnerable, fixed) pairs: the records need a non-empty 'before' field")
    flat: list[Example] = []
    units: list[list[int]] = []
    for members in groups.values():
        if sum(len(m.ids) for m in members) > max_len:
            members = [truncate(m, max_len // len(members)) for m in members]
        units.append(list(range(len(flat), len(flat) + len(members))))
        flat.extend(members)
    unit_rows = pack_rows([sum(len(flat[i].ids) for i in u) for u in units], max_len, packing)
    return PackedSet(flat, [[i for u in row for i in units[u]] for row in unit_rows])
