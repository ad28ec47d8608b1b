# newswire — one entry point for humans and CI. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION ?= 0.13.9
# uv from PATH, else a pinned copy in a project-local tool venv (works where pip refuses to
# install into the system Python, PEP 668).
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
NEWSWIRE := $(BIN)/newswire
PYTEST_ARGS ?=

.PHONY: help install lint format typecheck test test-unit test-integration bench demo \
        stack-up stack-down stack-status schemas gazetteer train eval clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --disable-pip-version-check -q "uv==$(UV_VERSION)"

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

install: $(VENV)/.installed ## Install the locked Python dependencies into .venv (uv)

lint: install ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install ## mypy, strict on our packages
	$(BIN)/mypy

schemas: install ## Re-export the contracts' JSON Schemas (after a compatible change)
	$(BIN)/python -m schemas.export

train: install ## Train the extraction decision stage on the corpus's tuning split (data/decision.json)
	$(BIN)/python -m newswire.extract.training

eval: install ## Score extraction: cross-validated on the tuning split, then the test split
	$(BIN)/python -m newswire.extract.training --cross-validate
	$(NEWSWIRE) eval --split test

gazetteer: install ## Regenerate the gazetteer's countries.yaml from pycountry & co. plus overrides.yaml
	$(BIN)/python newswire/extract/data/build_gazetteer.py

stack-up: install ## Start (or reuse) the local Kafka + Elasticsearch stack
	$(NEWSWIRE) stack up

stack-down: install ## Stop the local stack
	$(NEWSWIRE) stack down

stack-status: install ## Show where the local stack listens
	$(NEWSWIRE) stack status

test: install stack-up ## Run every test against the real local stack (starts it if needed)
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: install ## Run the tests that need no server
	$(BIN)/pytest -m "not integration" $(PYTEST_ARGS)

test-integration: install stack-up ## Run only the tests against real Kafka / Elasticsearch / Airflow
	$(BIN)/pytest -m integration $(PYTEST_ARGS)

bench: install stack-up ## Run the benchmarks (figures as ratios against in-run baselines)
	@set -e; for bench in benchmarks/bench_*.py; do \
		echo "== $$bench"; $(BIN)/python $$bench; done

demo: install stack-up ## Run the pipeline through the Airflow scheduler on the bundled sample site
	$(BIN)/python -m newswire.demo

clean: ## Remove caches (not the stack's data: `make stack-down` first)
	rm -rf .mypy_cache .ruff_cache .pytest_cache
