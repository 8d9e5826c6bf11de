# govsync — the two commands that matter: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     := .venv
SAM_VENV := .venv-sam
PY       := $(VENV)/bin/python
SAM      := $(SAM_VENV)/bin/sam
SAM_CLI_VERSION := 1.170.0
# AWS's serverless rules for cfn-lint, in their own venv (they pin cfn-lint's version range)
LINT_VENV := .venv-lint
CFN_LINT_SERVERLESS := cfn-lint==1.58.0 cfn-lint-serverless==0.3.6
# Checkov and Prowler, each in its own venv (each pins its own dependencies)
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30
PROWLER_VENV := .venv-prowler
PROWLER_VERSION := 5.46.0
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
# sam build looks for the runtime's interpreter (python3.13) on PATH: the project venv has it.
SAM_ENV := PATH="$(CURDIR)/$(VENV)/bin:$$PATH"

.PHONY: help venv lock sam-cli lint typecheck validate docs test unit integration e2e browser demo up explore bench build package-check security clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# The project venv runs the locked versions: the layer's own (layers/govsync/requirements.txt) are a
# subset of requirements-dev.txt, so the tests exercise what the layer ships.
$(VENV)/.installed: pyproject.toml requirements-dev.txt layers/govsync/requirements.txt
	@PY313=$$(scripts/find-python) && echo "creating $(VENV) with $$PY313" && $$PY313 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

LOCK_TARGET := --python-version 3.13 --python-platform x86_64-manylinux_2_28 --custom-compile-command "make lock"
lock: venv ## re-resolve requirements-dev.txt and the layer's requirements.txt from pyproject.toml and requirements.in
	$(VENV)/bin/uv pip compile --quiet pyproject.toml --extra dev $(LOCK_TARGET) --no-emit-package govsync \
		-o requirements-dev.txt
	$(VENV)/bin/uv pip compile --quiet layers/govsync/requirements.in -c requirements-dev.txt $(LOCK_TARGET) \
		-o layers/govsync/requirements.txt
	$(MAKE) venv

# What the Lambda runtime provides besides the layer: boto3.
LAMBDA_VENV := .venv-lambda
$(LAMBDA_VENV)/.installed:
	@PY313=$$(scripts/find-python) && $$PY313 -m venv $(LAMBDA_VENV)
	$(LAMBDA_VENV)/bin/python -m pip install --quiet --disable-pip-version-check boto3
	@touch $@

$(SAM_VENV)/.installed:
	@PY313=$$(scripts/find-python) && echo "creating $(SAM_VENV) (aws-sam-cli $(SAM_CLI_VERSION))" && $$PY313 -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "aws-sam-cli==$(SAM_CLI_VERSION)"
	@touch $@

$(LINT_VENV)/.installed:
	@PY313=$$(scripts/find-python) && echo "creating $(LINT_VENV) ($(CFN_LINT_SERVERLESS))" && $$PY313 -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check $(CFN_LINT_SERVERLESS)
	@touch $@

$(CHECKOV_VENV)/.installed:
	@PY313=$$(scripts/find-python) && echo "creating $(CHECKOV_VENV) (checkov $(CHECKOV_VERSION))" && $$PY313 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "checkov==$(CHECKOV_VERSION)"
	@touch $@

$(PROWLER_VENV)/.installed:
	@PY313=$$(scripts/find-python) && echo "creating $(PROWLER_VENV) (prowler $(PROWLER_VERSION), about 2 GB)" && $$PY313 -m venv $(PROWLER_VENV)
	$(PROWLER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "prowler==$(PROWLER_VERSION)"
	@touch $@

venv: $(VENV)/.installed ## create the project venv (python3.13) and install govsync with its dev tools

sam-cli: $(SAM_VENV)/.installed ## install the SAM CLI in its own venv (it pins boto3, pydantic, click)

lint: venv ## ruff
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv ## mypy on the Lambda package, the functions and the operator CLI (settings in pyproject.toml)
	$(VENV)/bin/mypy

validate: sam-cli $(LINT_VENV)/.installed $(CHECKOV_VENV)/.installed ## sam validate (+ --lint), AWS's serverless rules for cfn-lint and Checkov on the three templates
	$(SAM) validate --template template.yaml --region $(AWS_DEFAULT_REGION)
	$(SAM) validate --template template.yaml --region $(AWS_DEFAULT_REGION) --lint
	$(SAM) validate --template workload-account.yaml --region $(AWS_DEFAULT_REGION) --lint
	$(SAM) validate --template dev-account.yaml --region $(AWS_DEFAULT_REGION) --lint
	$(LINT_VENV)/bin/cfn-lint template.yaml workload-account.yaml dev-account.yaml -a cfn_lint_serverless.rules
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation \
		-f template.yaml -f workload-account.yaml -f dev-account.yaml

docs: venv ## the documentation site (MkDocs Material) from docs/ into site/, warnings as errors
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

test: venv sam-cli lint typecheck validate docs package-check ## everything CI runs: lint, types, template validation, docs site, build check, all tests
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		echo "browser tests skipped: install chromium chromium-driver (apt-get install -y chromium chromium-driver)"
	$(VENV)/bin/pytest -q

unit: venv ## unit tests only (no sockets)
	$(VENV)/bin/pytest -q tests/unit

integration: venv ## handler tests against moto
	$(VENV)/bin/pytest -q tests/integration

e2e: venv ## the local stack driven as a user would
	$(VENV)/bin/pytest -q tests/e2e

browser: venv ## the dashboard in headless Chromium (needs chromium chromium-driver); screenshots in build/screenshots
	$(VENV)/bin/pytest -q tests/browser

build: venv sam-cli ## sam build (no container needed)
	$(SAM_ENV) $(SAM) build --template template.yaml

package-check: build $(LAMBDA_VENV)/.installed ## the sam build output syncs an event with boto3 + the layer only
	$(PY) scripts/check_package.py $(LAMBDA_VENV)/bin/python

demo: venv ## the whole workflow on the embedded local AWS (ARGS=--stay keeps it up for the dashboard)
	$(VENV)/bin/govsync demo $(ARGS)

up: venv ## start the local stack in the foreground (Ctrl-C stops it)
	$(VENV)/bin/govsync local up

explore: venv ## the property tests with fresh random examples, many more than make test draws (minutes)
	GOVSYNC_EXPLORE=1 $(VENV)/bin/pytest -q -p no:cacheprovider tests/unit

bench: venv build $(LAMBDA_VENV)/.installed ## benchmarks: figures as ratios against a floor measured in the same run; the full burst
	$(PY) benchmarks/run.py
	GOVSYNC_BURST_GROUPS=10 GOVSYNC_BURST_VERSIONS=20 $(VENV)/bin/pytest -q -s tests/e2e/test_burst.py

security: venv $(PROWLER_VENV)/.installed ## Prowler against the local stack's four accounts: findings on govsync's resources (about 5 minutes)
	$(PY) scripts/prowler_scan.py $(PROWLER_VENV)/bin/prowler $(ARGS)

clean: ## remove build output and venvs
	rm -rf .aws-sam site $(VENV) $(SAM_VENV) $(LAMBDA_VENV) $(LINT_VENV) $(CHECKOV_VENV) $(PROWLER_VENV) .pytest_cache .ruff_cache
