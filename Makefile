# The two commands of the README: `make chat` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: chat test install lint eval bench clean-index

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch==2.13.0 first: that exact version is the CPU build on this disk (anything else pulls CUDA).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

chat: $(STAMP)
	$(BIN)/uca ingest --rebuild-if-needed
	$(BIN)/uca chat

# Two workers (this machine has 2 cores; many tests wait on subprocesses, servers and the browser), each test
# file on one worker so that its fixtures are built once: about 11 minutes against 20 in one process.
# `make test PYTEST_WORKERS=0` runs in one process.
PYTEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -q -rs --durations=30 -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

eval: $(STAMP)
	$(BIN)/uca eval --out artifacts/eval

bench: $(STAMP)
	$(BIN)/uca bench --out artifacts/bench

clean-index:
	rm -rf .uca/index
