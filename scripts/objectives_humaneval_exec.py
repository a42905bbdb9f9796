"""Execute HumanEval-X completions generated on another machine (the GPU one) here.

Seeds a `seccodegen humaneval` artifact with the first N completions per task, then calls the
stage's own run(), which resumes: every task already has its completions, so it only executes
them in the sandbox and writes samples.jsonl, tasks.jsonl and summary.json (pass@1).

    python scripts/objectives_humaneval_exec.py DATA.jsonl.gz COMPLETIONS.jsonl OUT N MODEL_LABEL
"""

import json
import sys
from pathlib import Path

from seccodegen.artifacts import open_artifact
from seccodegen.humaneval.core import SCHEMA_VERSION, HumanEvalConfig, run

data, completions, out, n, model = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
rows = [json.loads(line) for line in completions.open()]
cfg = HumanEvalConfig(data=data, model=model, out=out, n=n, allow_exec=True)
art = open_artifact(out, "humaneval", cfg, SCHEMA_VERSION, inputs={"data": data}, force=True)
art.file("completions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows if r["index"] < n))
path = run(cfg)  # resumes: every task already has its completions, so it only executes them
print(json.loads((path / "summary.json").read_text()))
