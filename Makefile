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
# The third-party packages byte-compiled once at install: every test process and subprocess
# then loads their bytecode, even where PYTHONDONTWRITEBYTECODE is set (the project itself
# is an editable install, compiled as it is imported). A .venv made before this: make clean venv.
export UV_COMPILE_BYTECODE := 1
RUN := $(UV) run --locked --no-sync

.PHONY: help venv lint typecheck test demo fuzz bench docs layer-requirements build clean

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
	$(RUN) mypy --num-workers 2

test: lint typecheck ## lint, typecheck and the whole test suite against moto
	$(RUN) pytest -n 2

demo: venv ## the story in one minute, on emulated AWS
	$(RUN) ir-vpc-guard demo

fuzz: venv ## 10,000 hypothesis-generated events through the pipeline (prints the count)
	FUZZ_EXAMPLES=10000 $(RUN) pytest -p no:xdist tests/reliability/test_fuzz_events.py \
		--hypothesis-show-statistics -q

bench: venv ## API calls, waves, cold start and memory, against a naive baseline
	$(RUN) python -m benchmarks.run

docs: venv ## regenerate the README's tables, the template's dashboard and its picture from the code
	$(RUN) python -m scripts.dashboard_body
	$(RUN) python -m scripts.update_readme
	$(RUN) python -m scripts.render_dashboard

# The layer ships what the Lambda runtime lacks, at the versions of uv.lock: the runtime's
# own boto3 and its dependencies are left out (they would shadow the runtime's).
RUNTIME_PACKAGES := boto3 botocore s3transfer urllib3 jmespath python-dateutil six
LAYER_REQUIREMENTS ?= layers/guardrail/requirements.txt

layer-requirements: | $(UV) ## export the layer's pinned requirements from uv.lock
	{ echo "# Generated from uv.lock by \`make layer-requirements\`: do not edit."; \
	  $(UV) export --quiet --locked --no-hashes --no-dev --no-emit-project --no-header \
		--format requirements-txt $(addprefix --no-emit-package ,$(RUNTIME_PACKAGES)); \
	} > $(LAYER_REQUIREMENTS)

SAM_VERSION := 1.170.0
SAM := $(CURDIR)/.tools/sam/bin/sam

$(SAM): | $(UV)
	$(UV) venv --quiet --python "$(PYTHON)" $(CURDIR)/.tools/sam
	$(UV) pip install --quiet --python $(CURDIR)/.tools/sam/bin/python "aws-sam-cli==$(SAM_VERSION)"

# No Docker: the function builds with the python3.13 on PATH; the layer with its own
# Makefile (layers/guardrail/Makefile: arm64 wheels, no dependencies, byte-compiled).
build: venv $(SAM) ## sam validate --lint, sam build (SAM CLI in .tools/sam), then check the build
	SAM_CLI_TELEMETRY=0 $(SAM) validate --lint --template-file template.yaml
	PATH="$(dir $(PYTHON)):$$PATH" PYTHON="$(PYTHON)" SAM_CLI_TELEMETRY=0 \
		$(SAM) build --template-file template.yaml
	SAM_BUILD_DIR=$(CURDIR)/.aws-sam/build $(RUN) pytest -p no:xdist tests/template/test_build.py

clean: ## remove the environments
	rm -rf .venv .tools .mypy_cache .pytest_cache .ruff_cache
