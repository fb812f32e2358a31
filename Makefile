# IR VPC Guard: the project's vocabulary. Everything it needs is installed here, from nothing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The Lambda runtime is python3.13: use it when present, else fall back to python3.
PYTHON ?= $(shell for p in $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) python3.13 python3; do \
	"$$p" -c 'import sys' >/dev/null 2>&1 && { command -v "$$p"; break; }; done)
UV_VERSION := 0.13.9
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv
RUN := $(UV) run --locked --no-sync

.PHONY: help venv lint typecheck test demo fuzz bench docs build clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	python3 -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --locked --python "$(PYTHON)"
	@touch $@

venv: .venv/.synced ## create .venv from uv.lock

lint: venv ## ruff lint and format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: venv ## mypy --strict over the engine, handler and tests
	$(RUN) mypy

test: lint typecheck ## lint, typecheck and the whole test suite against moto
	$(RUN) pytest -n 2

demo: venv ## the story in one minute, on emulated AWS
	$(RUN) ir-vpc-guard demo

fuzz: venv ## 10,000 hypothesis-generated events through the pipeline (prints the count)
	FUZZ_EXAMPLES=10000 $(RUN) pytest -p no:xdist tests/reliability/test_fuzz_events.py \
		--hypothesis-show-statistics -q

bench: venv ## API calls, waves, cold start and memory, against a naive baseline
	$(RUN) python -m benchmarks.run

docs: venv ## regenerate the README's tables from the code
	$(RUN) python -m scripts.update_readme

SAM_VERSION := 1.170.0
SAM := $(CURDIR)/.tools/sam/bin/sam

$(SAM): | $(UV)
	$(UV) venv --quiet --python "$(PYTHON)" $(CURDIR)/.tools/sam
	$(UV) pip install --quiet --python $(CURDIR)/.tools/sam/bin/python "aws-sam-cli==$(SAM_VERSION)"

# No Docker: the layer's BuildMethod python3.13 builds with the python3.13 on PATH, and pip
# fetches arm64 (manylinux aarch64) wheels for BuildArchitecture arm64.
build: venv $(SAM) ## sam build (SAM CLI in .tools/sam), then check the built function and layer
	PATH="$(dir $(PYTHON)):$$PATH" SAM_CLI_TELEMETRY=0 $(SAM) build --template-file template.yaml
	SAM_BUILD_DIR=$(CURDIR)/.aws-sam/build $(RUN) pytest -p no:xdist tests/template/test_build.py

clean: ## remove the environments
	rm -rf .venv .tools .mypy_cache .pytest_cache .ruff_cache
