#!/usr/bin/env bash
# Objectives comparison (docs/results/objectives.md): lm vs masked-lm vs unlikelihood vs dpo (LoRA)
# and the pretrained model, on SmolLM2-135M-Instruct. Three phases:
#
#   scripts/objectives_experiment.sh prepare   # CPU: dataset + GGUF pieces into .models/c1, .models/c2
#   (device)  two `run` calls, see docs/results/objectives.md ("Commands")
#   scripts/objectives_experiment.sh device W  # on the GPU machine: join GGUF, train, sample, generate
#   scripts/objectives_experiment.sh local W   # CPU: judge samples, execute HumanEval, tables
#
# SHARED (default ../shared) is the read-only data folder; nothing of it enters the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
HE_N=${HE_N:-2}          # HumanEval-X completions per task generated on the GPU
SEC_N=${SEC_N:-10}       # samples per C/C++ scenario generated on the GPU
JUDGE_N=${JUDGE_N:-$SEC_N}  # how many of them (sample index < JUDGE_N) are judged here
HE_EXEC_N=${HE_EXEC_N:-$HE_N}  # how many HumanEval completions per task are executed here

case "${1:-}" in
prepare)
  mkdir -p .models/c1/ds/function .models/c2 .whl
  seccodegen dataset build --source "sven-pairs:$SHARED/data/vulnfix/sven-pairs" --out .models/obj/ds \
    --set 'granularities=[function]' --set 'languages=[c,cpp]' --force
  cp .models/obj/ds/function/{train,val}.jsonl .models/c1/ds/function/
  gguf=$(python -c "from seccodegen.models.loader import smollm2_gguf_path; print(smollm2_gguf_path())")
  sha256sum "$gguf"
  split -b 49M "$gguf" .models/obj/smol.part.
  mv .models/obj/smol.part.aa .models/c1/ && mv .models/obj/smol.part.ab .models/c2/
  cp "$SHARED/data/humanevalx/humaneval_cpp.jsonl.gz" .models/c2/
  # the GPU image has torch/transformers/peft but not gguf (GGUF reading) nor rich (progress bars)
  pip download --no-deps --only-binary=:all: -d .models/c2 gguf rich markdown-it-py mdurl pygments
  du -sh .models/c1 .models/c2
  ;;
device)
  W=${2:?work dir}
  cat .models/c1/smol.part.aa .models/c2/smol.part.ab > /tmp/smol.gguf
  sha256sum /tmp/smol.gguf
  pip install -q --no-index --no-deps --target /tmp/site .models/c2/*.whl
  export PYTHONPATH=/tmp/site:$PWD/src HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
  python3 scripts/objectives_device.py --model /tmp/smol.gguf --data .models/c1/ds \
    --humaneval .models/c2/humaneval_cpp.jsonl.gz --work "$W" --n "$SEC_N" --he-n "$HE_N"
  ;;
local)
  W=${2:?work dir with samples-*/ and humaneval-*/ from the device}
  HE=${HE:-$SHARED/data/humanevalx/humaneval_cpp.jsonl.gz}
  for d in "$W"/samples-*/; do
    name=$(basename "$d"); name=${name#samples-}
    python - "$d/samples.jsonl" "$W/judge-in-$name.jsonl" "$JUDGE_N" <<'EOF'
import json, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [json.loads(l) for l in open(src)]
keep = [r for r in rows if r.get("sample_index", r.get("index", 0)) < n]
open(dst, "w").writelines(json.dumps(r) + "\n" for r in keep)
print(f"{dst}: {len(keep)} of {len(rows)} samples")
EOF
    seccodegen judge "$W/judge-in-$name.jsonl" --out "$W/judge-$name" --allow-exec --force
  done
  for d in "$W"/humaneval-*/; do
    name=$(basename "$d"); name=${name#humaneval-}
    python scripts/objectives_humaneval_exec.py "$HE" "$d/completions.jsonl" "$W/he-exec-$name" "$HE_EXEC_N" "device:$name"
  done
  python scripts/objectives_table.py "$W"
  ;;
*)
  sed -n 2,10p "$0"; exit 2 ;;
esac
