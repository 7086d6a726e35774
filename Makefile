# The few targets a newcomer needs. `make run` and `make test` do everything from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Extra pip arguments for torch, e.g. an index with CPU-only wheels on a laptop.
PIP_TORCH_ARGS ?=

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export RAGAS_DO_NOT_TRACK := true

.PHONY: install setup run test lint format clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first and pinned: the CPU wheel, never a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0 $(PIP_TORCH_ARGS)
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

setup: install  ## venv, pinned deps, demo store, intent model, knowledge base (idempotent)
	$(BIN)/support setup

run: setup  ## serve the API on 127.0.0.1:8000
	$(BIN)/support serve

test: setup  ## the whole test suite, offline
	$(BIN)/python -m pytest -q -ra

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf data
