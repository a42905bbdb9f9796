# The README's two commands: `make demo` (set up + run the demo) and `make test` (set up + tests).
# The demo runs the scenarios' unit tests on its samples, in the sandbox: hence --allow-exec.
PYTHON ?= python3

.PHONY: setup demo test test-all lint golden

setup:
	bash scripts/setup.sh

demo: setup
	seccodegen demo --allow-exec

test: setup
	$(PYTHON) -m pytest

test-all: setup
	$(PYTHON) -m pytest --run-slow

lint:
	ruff check src tests benchmarks

golden:
	$(PYTHON) -m seccodegen.report.golden
