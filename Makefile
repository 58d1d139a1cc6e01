# Okuru: `make run` starts everything locally, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

export DJANGO_SETTINGS_MODULE := config.settings

# Tests run on the machine's PostgreSQL and Redis unless told otherwise.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/okuru
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# benchmarks have their own Redis database (queue and throttle keys), so they may run beside the tests
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/14

.PHONY: run test lint bench setup test-setup messages chromium wrk dirs clean assets faults bench-scale

$(STAMP): pyproject.toml
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PY) scripts/requirements.py > $(VENV)/requirements.txt
	$(PIP) install -q -r $(VENV)/requirements.txt
	touch $@

$(TEST_STAMP): $(STAMP) pyproject.toml
	$(PY) scripts/requirements.py test > $(VENV)/requirements-test.txt
	$(PIP) install -q -r $(VENV)/requirements-test.txt
	touch $@

# Front-end assets (the TipTap editor bundle, Chart.js): npm ci when node_modules is missing or older
# than the lock file, then esbuild into static/build/ when an output is older than its sources.
NPM_STAMP := node_modules/.okuru-npm-ci
EDITOR_SOURCES := $(shell find static_src -type f -name '*.js' 2>/dev/null)

$(NPM_STAMP): package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 20 with npm is needed to build the front-end assets"; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

static/build/editor.js: $(NPM_STAMP) package.json $(EDITOR_SOURCES)
	npm run build:editor

static/build/chart.umd.js: $(NPM_STAMP) package.json
	npm run build:chart

assets: static/build/editor.js static/build/chart.umd.js

dirs:
	mkdir -p var/broker/out var/broker/processed var/outbox/cur var/outbox/new var/outbox/tmp var/imports

setup: $(STAMP) dirs assets

test-setup: $(TEST_STAMP) dirs chromium assets

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# the HTTP load generator of the tracking benchmark (tests/bench/bench_tracking_load.py)
wrk:
	@if [ ! -x /usr/bin/wrk ]; then \
		echo "Installing Debian's wrk for the tracking load benchmark"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi

run: setup
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --no-input
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo
	@echo ""
	@echo "Okuru is starting on http://localhost:8000/  (Ctrl-C stops web, worker, beat and the mail catcher)"
	@echo "Mail sent locally is caught in var/outbox/ and shown at http://localhost:8000/outbox/"
	DEBUG=$${DEBUG:-1} PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/honcho -f Procfile.dev start

test: test-setup
	$(VENV)/bin/ruff check .
	$(PY) manage.py collectstatic --no-input -v0
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .

bench: test-setup wrk
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/okuru_bench} REDIS_URL=$(BENCH_REDIS_URL) $(PY) -m tests.bench.run

# Fault drills (tests/faults, README "Fault drills"): their own PostgreSQL cluster (initdb) and redis-server
# on free ports, real workers, beat and gunicorn; JSON lines. One or some: `make faults DRILLS="worker_kills"`.
faults: $(TEST_STAMP)
	$(PY) -m tests.faults.run $(DRILLS)

# A 1,000,000-lead tenant (generated once, kept in its own database) and its figures as JSON lines; smaller with
# SCALE_LEADS / SCALE_MESSAGES / SCALE_SEND_RECIPIENTS, some figures only with SCALE_FIGURES=queries,snapshot
SCALE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/okuru_scale
SCALE_REDIS_URL ?= redis://127.0.0.1:6379/13
bench-scale: $(TEST_STAMP)
	DATABASE_URL=$(SCALE_DATABASE_URL) REDIS_URL=$(SCALE_REDIS_URL) $(PY) -m tests.bench.scale

messages: $(STAMP)
	$(PY) manage.py makemessages -l ja --no-location --ignore=.venv --ignore=node_modules --ignore=var
	$(PY) manage.py compilemessages -l ja --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles
