# MTChat entry points. `make help` lists them.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SERVER := mtchat-server
SDK := mtchat-vue
EXAMPLE := mtchat-example

.PHONY: help install install-sdk lint test test-server test-sqlite test-postgres test-sdk test-e2e test-demo demo demo-build demo-api bench clean

help:
	@echo "make demo   - install, build the SDK and the TMS demo, run MTChat + demo host on the embedded default"
	@echo "               (http://127.0.0.1:8090; other ports: DEMO_PORT=... MTCHAT_PORT=... make demo)"
	@echo "make demo-api - only the service with seeded dialogs and printed tokens (curl walk-through)"
	@echo "make test   - install what tests need; lint, types, server tests on SQLite and PostgreSQL, SDK tests"
	@echo "make test-demo - make demo on a clean checkout (git clone of HEAD), driven in Chromium"
	@echo "make lint   - ruff + mypy --strict + vue-tsc"
	@echo "make bench  - benchmarks (see docs/benchmarks.md)"

# Two stamps in the venv: everything `make test` needs (the [dev] extras: linters, moto, ...), and only the
# service, which is all `make demo` needs (a fifth of the install time on a fresh machine).
$(VENV)/.installed-dev: $(SERVER)/pyproject.toml $(SERVER)/constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c $(SERVER)/constraints.txt -e "./$(SERVER)[dev]"
	touch $@

install: $(VENV)/.installed-dev

$(VENV)/.installed-service: $(SERVER)/pyproject.toml $(SERVER)/constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -c $(SERVER)/constraints.txt -e "./$(SERVER)"
	touch $@

$(SDK)/node_modules/.package-lock.json: $(SDK)/package-lock.json
	cd $(SDK) && npm ci --no-audit --no-fund
	touch $@

install-sdk: $(SDK)/node_modules/.package-lock.json

lint: install install-sdk
	cd $(SERVER) && ../$(BIN)/ruff check src tests
	cd $(SERVER) && ../$(BIN)/mypy
	cd $(SDK) && npm run typecheck

test-sqlite: install
	cd $(SERVER) && MTCHAT_TEST_DB=sqlite ../$(BIN)/pytest -q

test-postgres: install
	cd $(SERVER) && MTCHAT_TEST_DB=postgres ../$(BIN)/pytest -q

test-server: test-sqlite test-postgres

test-sdk: install-sdk
	cd $(SDK) && npm test

test: lint test-server test-sdk test-e2e test-demo

# Browser tests use Debian's chromium (/usr/bin/chromium); .ci/run installs it when missing.
test-e2e: install install-sdk
	cd $(SDK) && MTCHAT_BIN=../$(BIN)/mtchat npm run e2e

$(EXAMPLE)/node_modules/.package-lock.json: $(EXAMPLE)/package-lock.json
	cd $(EXAMPLE) && npm ci --no-audit --no-fund
	touch $@

demo-build: $(VENV)/.installed-service install-sdk $(EXAMPLE)/node_modules/.package-lock.json
	cd $(SDK) && npm run build
	cd $(EXAMPLE) && npm run build

# `make demo` on a clean checkout (a git clone of HEAD: commit first, or DEMO_E2E_SOURCE=worktree to try
# uncommitted work), driven in Chromium as two users of two tenants; see mtchat-example/e2e/demo.test.mjs.
# It needs only this checkout's playwright-core: the clone installs and builds everything itself.
test-demo: $(EXAMPLE)/node_modules/.package-lock.json
	cd $(EXAMPLE) && npm run e2e

demo: demo-build
	$(BIN)/mtchat demo

demo-api: $(VENV)/.installed-service
	$(BIN)/mtchat demo --api-only

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(SDK)/node_modules $(SDK)/dist $(EXAMPLE)/node_modules $(EXAMPLE)/dist .mtchat
