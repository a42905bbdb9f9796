"""Run the dataflow queries over a batch of files in a child process: ``python -m
seccodegen.judge.dataflow.batch LANGUAGE FILE... [-- FLAG...]`` prints one JSON object per hit
(``file``, ``rule``, ``cwe_ids``, ``line``, ``column``, ``message``) and, for a file that could not
be analysed, one object with ``error``. A file where some query raised gets the other queries'
hits and then one object with ``failed`` (what raised, as ``"rule in function(): error"``). A child process keeps a libclang crash or a runaway
file from taking the judge down, and lets the engine's timeout kill it.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    from seccodegen.judge.dataflow.queries import run_queries

    if "--" in argv:
        cut = argv.index("--")
        argv, flags = argv[:cut], argv[cut + 1 :]
    else:
        flags = []
    if len(argv) < 1 or argv[0] not in ("c", "cpp"):
        print("usage: python -m seccodegen.judge.dataflow.batch c|cpp FILE... [-- FLAG...]", file=sys.stderr)
        return 2
    language, files = argv[0], argv[1:]
    for path in files:
        failures: list[str] = []
        try:
            hits = run_queries(path, language, flags, failures=failures)
        except Exception as exc:  # one bad file must not hide the others' results
            print(json.dumps({"file": path, "error": f"{type(exc).__name__}: {exc}"[:300]}), flush=True)
            continue
        for h in hits:
            rec = {"file": path, "rule": h.rule, "cwe_ids": list(h.cwe_ids), "line": h.line,
                   "column": h.column, "message": h.message}  # fmt: skip
            print(json.dumps(rec), flush=True)
        if failures:
            print(json.dumps({"file": path, "failed": list(dict.fromkeys(failures))}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
