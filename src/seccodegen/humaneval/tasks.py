"""HumanEval-X C++ tasks: loading, completion truncation and program assembly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from seccodegen.errors import InputError
from seccodegen.records import BadLine, iter_jsonl

REQUIRED_FIELDS = ("task_id", "prompt", "declaration", "test")


@dataclass(frozen=True)
class Task:
    task_id: str  # e.g. "CPP/0"
    prompt: str  # docstring + includes + signature ending in "{": the model's input
    declaration: str  # includes + signature: what the test program is built from
    test: str  # a main() with asserts
    canonical_solution: str = ""


def load_tasks(path: str | Path, limit: int | None = None) -> list[Task]:
    """Read a humaneval_cpp.jsonl(.gz); a line without a required field is a one-line error."""
    bad: list[BadLine] = []
    tasks = []
    seen: set[str] = set()
    for i, row in enumerate(iter_jsonl(path, bad), 1):
        missing = [f for f in REQUIRED_FIELDS if not isinstance(row.get(f), str)]
        if missing:
            raise InputError(f"{path}: task {row.get('task_id', f'#{i}')} lacks field(s) {missing}")
        if not isinstance(row.get("canonical_solution", ""), str):
            raise InputError(f"{path}: task {row['task_id']}: 'canonical_solution' must be a string")
        if row["task_id"] in seen:
            raise InputError(f"{path}: task_id {row['task_id']!r} appears twice (task #{i}); "
                             "each task must be listed once")
        seen.add(row["task_id"])
        tasks.append(Task(row["task_id"], row["prompt"], row["declaration"], row["test"],
                          row.get("canonical_solution", "")))
        if limit and len(tasks) >= limit:
            break
    if bad:
        raise InputError(f"{bad[0].path}:{bad[0].line}: {bad[0].reason}; fix the data file")
    if not tasks:
        raise InputError(f"{path}: no tasks found")
    return tasks


_STRING_OR_COMMENT = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|//[^\n]*|/\*.*?\*/', re.S)


def open_braces(code: str) -> int:
    """Brace depth at the end of ``code`` (strings and comments ignored)."""
    masked = _STRING_OR_COMMENT.sub("", code)
    return masked.count("{") - masked.count("}")


def truncate_at_function_end(completion: str, depth: int = 1) -> str:
    """Cut a completion of a function body right after the brace that closes the function.

    The prompt ends inside the function (after its opening ``{``), so depth starts at 1 (or the
    prompt's own depth, see :func:`open_braces`, when it ends deeper inside); braces in
    strings, character literals and comments do not count. Without a closing brace the completion
    is kept whole (it will most likely fail to compile, which is the model's fault).
    """
    # blank out strings/comments (same length, so indexes stay valid), then count braces
    masked = _STRING_OR_COMMENT.sub(lambda m: " " * len(m.group(0)), completion)
    for i, ch in enumerate(masked):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return completion[: i + 1]
    return completion


def assemble_program(task: Task, completion: str) -> str:
    """declaration + completion + test, as HumanEval-X's own harness does."""
    return task.declaration + completion + "\n" + task.test
