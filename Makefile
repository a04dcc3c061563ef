# kaptrain: the two commands a newcomer needs are `make run` and `make test`.
# Everything is installed into .venv from pyproject.toml; nothing global.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
WORKERS ?= 2
FLASK  := $(BIN)/flask --app kaptrain

.PHONY: run dev test lint bench bench-compare install install-test vnu clean-venv help

help:
	@echo "make run    install, migrate, seed demo accounts, serve at http://$(HOST):$(PORT)"
	@echo "make test   install with the test extra and run the whole suite (parallel, then serial)"
	@echo "make dev    the reloading development server"
	@echo "make lint   ruff"
	@echo "make bench  benchmarks; writes docs/benchmarks.md"
	@echo "make bench-compare OLD=<commit> [REPEAT=3] [BENCH_ONLY=pages-sqlite,...] [ALSO='name=ref ...']"
	@echo "           CPU per request of this tree against OLD, one run; see bench/analysis.md"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files re-run the install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	@touch $@ $(VENV)/.installed-test $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	@mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) \
		--pid instance/gunicorn.pid --access-logfile - kaptrain.wsgi:app

dev: install
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) run --debug --host $(HOST) --port $(PORT)

# The Nu HTML Checker (npm package vnu-jar, run by Java) validates every page the
# browser journeys visit. Installed into .venv when npm is there; without npm or
# Java the browser tests skip that check locally (CI installs both).
VNU_VERSION := 26.9.27
VNU_JAR := $(VENV)/vnu/node_modules/vnu-jar/build/dist/vnu.jar

$(VNU_JAR): | $(BIN)/python
	@if command -v npm >/dev/null; then \
		npm install --silent --no-audit --no-fund --prefix $(VENV)/vnu vnu-jar@$(VNU_VERSION); \
	else echo "npm not found: the HTML check in the browser tests is skipped"; fi

vnu: $(VNU_JAR)

# `make test` runs the suite in two phases: the fast tests in parallel (pytest-xdist,
# TEST_WORKERS processes, each with its own database), then the browser tests and
# the `server` tests one at a time (they start gunicorns, and one restarts
# PostgreSQL, so nothing may run beside them). It runs both phases and fails if
# either fails. `make test PYTEST_ARGS="..."` runs exactly that one pytest command.
# --dist worksteal: a worker that runs out of tests takes half of the other's
# queue, so a few long tests (tests/test_xss.py) do not leave one worker idle.
TEST_WORKERS ?= 2
TEST_DIST ?= worksteal
SERIAL_MARKS := browser or server

test: install-test
	@[ -f $(VNU_JAR) ] || $(MAKE) --no-print-directory vnu
ifeq ($(strip $(PYTEST_ARGS)),)
	@status=0; \
	echo "make test: phase 1 of 2, in parallel ($(TEST_WORKERS) workers): not $(SERIAL_MARKS)"; \
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist $(TEST_DIST) -m "not ($(SERIAL_MARKS))" || status=1; \
	echo "make test: phase 2 of 2, serially: $(SERIAL_MARKS)"; \
	$(BIN)/python -m pytest -p no:xdist -m "$(SERIAL_MARKS)" || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED (see the phase summaries above)"; fi; \
	exit $$status
else
	$(BIN)/python -m pytest $(PYTEST_ARGS)
endif

lint: install-test
	$(BIN)/ruff check .

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench

# The same page, dashboard and CSV measures on OLD (checked out in a git
# worktree under /tmp/kaptrain-bench-trees) and on this tree, interleaved in one
# run; ALSO adds more commits (name=ref). Writes bench/results/compare.md.
REPEAT ?= 3
BENCH_ONLY ?= pages-sqlite,pages-postgresql,dashboard
ALSO ?=

bench-compare: install-test
	@[ -n "$(OLD)" ] || { echo "usage: make bench-compare OLD=<commit> [REPEAT=3]"; exit 2; }
	$(BIN)/python -m bench.compare --old $(OLD) --repeat $(REPEAT) --only $(BENCH_ONLY) \
		$(foreach a,$(ALSO),--also $(a))

clean-venv:
	rm -rf $(VENV)
