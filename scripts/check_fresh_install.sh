#!/usr/bin/env bash
# Check the README's first two commands the way a new user meets them: clone this repository
# into a temporary directory and run `make demo` and `make test` there with the system Python
# (default /usr/bin/python3), no virtualenv active and nothing of this checkout on PYTHONPATH,
# so `make setup` has to build a clean .venv. Slow (installs torch and the analyzers, runs the
# demo and the test suite). Needs root or sudo for apt, as the README's commands do.
#   scripts/check_fresh_install.sh [SYSTEM_PYTHON]     (commits only: the clone is of HEAD)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${1:-/usr/bin/python3}"
work="$(mktemp -d -t seccodegen-fresh-XXXXXX)"
echo "fresh-install: cloning $(git -C "$repo" rev-parse --short HEAD) into $work/clone; python: $("$python" --version 2>&1)"
git clone -q "$repo" "$work/clone"
cd "$work/clone"
clean_env=(env -u VIRTUAL_ENV -u PYTHONPATH -u SECCODEGEN_PROGRESS SECCODEGEN_CACHE="$work/cache")
status=0
for target in demo test; do
  start=$(date +%s)
  if "${clean_env[@]}" make "$target" PYTHON="$python" >"$work/$target.log" 2>&1; then rc=0; else rc=$?; status=1; fi
  echo "fresh-install: make $target -> exit $rc in $(( $(date +%s) - start )) s; last lines of $work/$target.log:"
  tail -n 8 "$work/$target.log" | sed 's/^/    /'
done
echo "fresh-install: venv python: $("$work/clone/.venv/bin/python" --version 2>&1) ($(readlink -f "$work/clone/.venv/bin/python"))"
exit $status
