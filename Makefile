# Impartial: `make run` starts the service, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SHARED ?= $(firstword $(wildcard ../shared /work/shared))

# Extra prerequisites and steps that other parts of the project (extension/)
# hook into `make test` through their own .mk file.
TEST_PREREQS :=
TEST_EXTRA :=

.PHONY: setup setup-train run test test-py bench load eval lint-rules catalogue train clean
.DEFAULT_GOAL := help

help:
	@echo "make run         start the check service on $(HOST):$(PORT) (gunicorn)"
	@echo "make test        set up and run every test"
	@echo "make bench       latency and throughput figures"
	@echo "make load        bounded load test of checks and events with keys, limits and the database"
	@echo "make eval        detection figures on every corpus (EVAL_ARGS='--per-rule --json out.json')"
	@echo "make lint-rules  validate rules.json and run every rule example"
	@echo "make catalogue   regenerate docs/rules-catalogue.md from rules.json (after every rule edit)"
	@echo "make train       train the learned layer (models/) and write its model card"

setup: $(VENV)/.installed

# the C scorer and scanner are compiled by the install: an edit to either must reinstall
$(VENV)/.installed: pyproject.toml server/learned/_fastscore.c server/engine/_fastscan.c
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# scikit-learn, for `make train` and for the test that the scorer reproduces it
setup-train: $(VENV)/.installed-train

$(VENV)/.installed-train: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test,train]'
	touch $@

run: setup
	HOST=$(HOST) PORT=$(PORT) $(VENV)/bin/gunicorn -c gunicorn.conf.py 'server.app:create_app()'

# Not -include: a missing file must stop `make test`, not silently drop the
# node and browser tests.
include tests/e2e/e2e.mk
include tests/pg.mk
include extension/extension.mk

# The Node.js version the extension's tests and the e2e fixtures are built with
# (.nvmrc: the oldest supported major; 20 and 22 are tested).
NODE_MIN := $(shell cat .nvmrc)
.PHONY: node-check
node-check:
	@command -v node >/dev/null || { echo "node-check: Node.js $(NODE_MIN) or newer is needed (see .nvmrc)" >&2; exit 1; }
	@major=$$(node -p 'process.versions.node.split(".")[0]'); \
	if [ "$$major" -lt "$(NODE_MIN)" ]; then \
	  echo "node-check: Node.js $$(node --version) is too old; $(NODE_MIN) or newer is needed (.nvmrc)" >&2; exit 1; fi

test: setup setup-train $(TEST_PREREQS)
	@for t in $(TEST_EXTRA); do $(MAKE) --no-print-directory $$t || exit 1; done
	$(PY) -m pytest

lint-rules: setup
	$(VENV)/bin/impartial lint rules.json

catalogue: setup
	$(VENV)/bin/impartial catalogue --rules rules.json --out docs/rules-catalogue.md

eval: setup
	$(VENV)/bin/impartial eval --shared $(SHARED) $(EVAL_ARGS)

bench: setup
	$(PY) -m server.bench --posts $(SHARED)/bench/posts.jsonl

# Not part of `make test`: a bounded load test of checks and events (keys, limits, database).
load: setup
	$(PY) -m server.load --posts $(SHARED)/bench/posts.jsonl $(LOAD_ARGS)

train: setup-train
	$(PY) -m server.learned.train --shared $(SHARED)

clean:
	rm -rf $(VENV) build dist *.egg-info
