# The README's two commands: `make demo` (set up + run the demo) and `make test` (set up + tests).
# Every target runs inside the project's virtual environment: the active one if a virtualenv is
# active, else .venv (created by `make setup`). PYTHON is the interpreter that creates it.
# The demo runs the scenarios' unit tests on its samples, in the sandbox: hence --allow-exec.
PYTHON ?= python3
VENV ?= $(if $(VIRTUAL_ENV),$(VIRTUAL_ENV),.venv)
VENV_DIR := $(abspath $(VENV))
# as `. $(VENV)/bin/activate` would: the venv's tools (seccodegen, clang-tidy, semgrep, ...) first
export PATH := $(VENV_DIR)/bin:$(PATH)
export VIRTUAL_ENV := $(VENV_DIR)
VPY := $(VENV_DIR)/bin/python

.PHONY: setup demo test test-all lint golden

setup:
	VENV="$(VENV_DIR)" PYTHON="$(PYTHON)" bash scripts/setup.sh

demo: setup
	$(VPY) -m seccodegen demo --allow-exec

test: setup
	$(VPY) -m pytest

test-all: setup
	$(VPY) -m pytest --run-slow

lint:
	$(VPY) -m ruff check src tests benchmarks

golden:
	$(VPY) -m seccodegen.report.golden
