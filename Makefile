# Two commands do everything on a fresh machine with Python 3.10+:
#   make book   set up, then build the HTML book into _build/html
#   make test   set up (test tools, npm packages, Chromium), then run every test
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP := $(BIN)/pip --disable-pip-version-check
JB := $(BIN)/jupyter-book
# Sphinx warnings are errors; --keep-going lists all of them before failing.
JB_FLAGS ?= --all --warningiserror --keep-going
# pip itself is pinned too: the one venv ships with may be old (23.x rejects some
# `name @ git+file://` requirements that the Colab setup cell uses).
PIP_VERSION := 26.3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help setup setup-test assets browser book book-student lab test test-fast lint \
        timings bench bench-quick widget-bench figures clean

help:
	@echo "make book        build the HTML book into _build/html (sets everything up)"
	@echo "make test        run every test (sets everything up, builds the book)"
	@echo "make timings     report per-notebook execution and book build seconds"
	@echo "make bench       run the full packing benchmark; bench-quick: 2-minute version"
	@echo "make widget-bench  widget latency, first render and page weight (browser)"
	@echo "make figures     redraw figures/ from code"
	@echo "make lint        ruff over Python files and notebooks"
	@echo "make lab         JupyterLab on the chapters"

# --- setup ------------------------------------------------------------------
$(VENV)/.book-installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet pip==$(PIP_VERSION)
	$(PIP) install --quiet -r requirements.txt
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.book-installed requirements-test.txt
	$(PIP) install --quiet -r requirements-test.txt
	touch $@

setup: $(VENV)/.book-installed
setup-test: $(VENV)/.test-installed browser assets

# Widget JavaScript, require.js and MathJax come from npm (package-lock.json) and are
# copied into _widget_assets/, which the book serves itself: no CDN at read time.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

_widget_assets/.built: node_modules/.package-lock.json scripts/build_widget_assets.py
	$(PYTHON) scripts/build_widget_assets.py
	touch $@

assets: _widget_assets/.built

# Chromium from Debian for the browser tests (Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

# --- the book ---------------------------------------------------------------
book: setup assets
	$(JB) build . $(JB_FLAGS)
	@echo "Open _build/html/index.html"

# Student edition: the same book with every solution removed.
book-student: setup assets
	$(PY) scripts/student_edition.py

# JupyterLab on the chapters, with the book's pinned environment.
lab: setup
	$(BIN)/jupyter lab --notebook-dir=chapters

# --- tests ------------------------------------------------------------------
lint: $(VENV)/.test-installed
	$(BIN)/ruff check .

# Everything: lint, unit and property tests, strict nbval of every chapter, build
# checks and browser tests against the freshly built book. Two workers (one per core);
# --dist loadfile keeps each notebook's cells together in one kernel.
PYTEST_WORKERS ?= 2
test: setup-test book lint
	$(BIN)/pytest tests chapters --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  --nbval-current-env -q -n $(PYTEST_WORKERS) --dist loadfile

# Without rebuilding the book (for quick iterations on tests).
test-fast: setup-test lint
	$(BIN)/pytest tests chapters --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  --nbval-current-env -q -n $(PYTEST_WORKERS) --dist loadfile -m "not browser and not book"

# --- measurements (scripts, not timed tests) --------------------------------
timings: setup assets
	$(PY) scripts/timings.py

bench: setup
	$(PY) benchmarks/run.py --full

bench-quick: setup
	$(PY) benchmarks/run.py --quick

# Slider-to-redraw latency, first render and page weight of the widget pages (Chromium).
widget-bench: setup-test book
	$(PY) benchmarks/widget_latency.py

figures: setup
	$(PY) figures/make_figures.py

clean:
	rm -rf _build _widget_assets .jupyter_cache
