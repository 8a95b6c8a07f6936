# Every target installs uv if missing and syncs the locked environment first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(HOME)/.local/bin:$(PATH)
UV ?= uv
RUN := $(UV) run --frozen

.PHONY: help uv sync dev test test-unit test-integration lint format bench migrate clean-state

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

uv:
	@command -v $(UV) >/dev/null 2>&1 || { echo "[duka] installing uv"; python3 -m pip install --user --quiet uv || python3 -m pip install --quiet uv; }

sync: uv ## install the locked environment
	@$(UV) sync --frozen --quiet

dev: sync ## run the local stack in the foreground (Ctrl-C stops it)
	@$(RUN) duka dev

test: sync ## the whole suite with the branch-coverage gate (what CI runs)
	@$(RUN) pytest --cov --cov-report=term-missing --cov-report=xml

test-unit: sync ## unit tests only (seconds, no I/O)
	@$(RUN) pytest tests/unit

test-integration: sync ## integration tests only
	@$(RUN) pytest tests/integration

lint: sync ## ruff check, ruff format --check, mypy --strict
	@$(RUN) ruff check .
	@$(RUN) ruff format --check .
	@$(RUN) mypy api tests bench

format: sync ## apply ruff fixes and formatting
	@$(RUN) ruff check --fix .
	@$(RUN) ruff format .

bench: sync ## run the benchmarks (results go to bench/results/, summary to stdout)
	@bash bench/run.sh

migrate: sync ## apply database migrations
	@$(RUN) duka migrate

clean-state: ## delete local data (embedded PostgreSQL and caches under .state/)
	@$(RUN) duka db stop || true
	rm -rf .state
