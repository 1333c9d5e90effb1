# Two commands do everything on a fresh machine with Python 3.11, 3.12 or 3.13:
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
JB_FLAGS ?= --warningiserror --keep-going
# pip itself is pinned too: the one venv ships with may be old (23.x rejects some
# `name @ git+file://` requirements that the Colab setup cell uses).
PIP_VERSION := 26.3
# The Pythons whose installs of requirements.txt were checked (README.md); make stops
# early on any other.
PYTHON_MIN := 3.11
PYTHON_MAX := 3.13
# PyPI's torch for Linux is the CUDA build (gigabytes of GPU libraries that the book
# does not use). For the CPU build, point this at PyTorch's CPU index:
#   make book TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# Empty by default: the pins then install from PyPI (or this machine's mirror) alone.
TORCH_INDEX_URL ?=
PIP_INDEX := $(if $(TORCH_INDEX_URL),--extra-index-url $(TORCH_INDEX_URL))
# Strict nbval (never --nbval-lax): every stored output is compared.
NBVAL := --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env
# The executable pages: every chapter, and the benchmark appendix.
NOTEBOOKS := chapters $(wildcard reference/*.ipynb)
# torch and oneDNN on their generic kernels, as on a CPU unlike ours.
GENERIC_KERNELS := ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help check-python setup setup-test assets browser book book-student notebooks \
        fork site lab test \
        test-fast test-widgets7 test-compat lint timings bench bench-quick widget-bench \
        figures clean

help:
	@echo "make book        build the HTML book into _build/html (from the stored outputs)"
	@echo "make test        run every test (sets everything up, builds what the tests read)"
	@echo "make book-student  the student edition (no solutions) into _build/student/html"
	@echo "make slides      one reveal.js deck per chapter into _build/slides"
	@echo "make editions    both English editions, es, ko and the slides, side by side"
	@echo "make pdf         the whole book as one PDF: _build/pdf/book.pdf"
	@echo "make notebooks   the generated notebooks (full and student) into _build/editions"
	@echo "make site        everything the deploy workflow publishes, into _build/site"
	@echo "make grade SUBMISSIONS=dir/  grade students' notebooks into grades.csv"
	@echo "make autograder  one otter-grader zip per chapter (Gradescope) in _build/grading"
	@echo "make fork REPO_URL=https://github.com/you/repo  point every link at a fork"
	@echo "make book-es, make book-ko  the Spanish and Korean editions"
	@echo "make test-widgets7  the widget tests under ipywidgets 7.7.1 (Colab's)"
	@echo "make test-compat every chapter in a Colab-like runtime (~6 GB, built once)"
	@echo "make timings     seconds per notebook and per build, against the targets"
	@echo "make bench       run the full packing benchmark; bench-quick: 2-minute version"
	@echo "make widget-bench  widget latency, first render and page weight (browser)"
	@echo "make figures     redraw figures/ from code"
	@echo "make lint        ruff over Python files and notebooks"
	@echo "make lab         JupyterLab on the chapters"

# --- setup ------------------------------------------------------------------
# The interpreter that will run the book: the venv's once it exists.
check-python:
	@$(if $(wildcard $(PY)),$(PY),$(PYTHON)) -c 'import sys; v = sys.version_info[:2]; \
	  lo, hi = (tuple(map(int, x.split("."))) for x in ("$(PYTHON_MIN)", "$(PYTHON_MAX)")); \
	  lo <= v <= hi or sys.exit(f"make: Python {v[0]}.{v[1]} ({sys.executable}) is not \
	supported: the pinned packages install on Python $(PYTHON_MIN) to $(PYTHON_MAX). \
	Pass one: make book PYTHON=python3.12 (and rm -rf $(VENV) if it was made with \
	another Python).")'

# pip byte-compiles what it installs one file at a time (about 35 s for these pins on
# 2 cores); it installs without that here, and compileall then writes the same .pyc
# files on every core (about 18 s). A file it cannot compile (torch ships one written
# for Python 3.12) is compiled, or fails, at import as it would anyway: hence `|| true`.
INSTALL := $(PIP) install --quiet --no-compile
COMPILE := $(PY) -m compileall -qq -j 0 \
  "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" || true

# The venv, made without the pip that venv would install (ensurepip's, about 7 s here)
# when this Python's own pip can install the pinned one into it; ensurepip otherwise.
$(VENV)/.venv-made: | check-python
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --disable-pip-version-check --python $(PY) install --quiet \
	  pip==$(PIP_VERSION) 2>/dev/null || { $(PY) -m ensurepip --default-pip && \
	  $(PIP) install --quiet pip==$(PIP_VERSION); }
	touch $@

$(VENV)/.book-installed: requirements.txt pyproject.toml $(VENV)/.venv-made
	$(INSTALL) $(PIP_INDEX) -r requirements.txt
	$(INSTALL) --no-deps --no-build-isolation -e .
	$(COMPILE)
	touch $@

# requirements-test.txt and requirements-lab.txt agree with requirements.txt (compiled
# with it as a constraint); each is installed together with it, in one pip run (the
# book's packages included: a second run would resolve them all again). The tests take
# JupyterLab too: a browser test moves a widget in it with a live kernel.
$(VENV)/.test-installed: requirements.txt requirements-test.txt requirements-lab.txt \
    pyproject.toml $(VENV)/.venv-made
	$(INSTALL) $(PIP_INDEX) -r requirements.txt -r requirements-test.txt \
	  -r requirements-lab.txt
	$(INSTALL) --no-deps --no-build-isolation -e .
	$(COMPILE)
	touch $@ $(VENV)/.lab-installed $(VENV)/.book-installed

$(VENV)/.lab-installed: $(VENV)/.book-installed requirements-lab.txt
	$(INSTALL) $(PIP_INDEX) -r requirements.txt -r requirements-lab.txt
	$(COMPILE)
	touch $@

# The Debian packages, one apt-get at a time (dpkg takes a lock); the venv and npm's
# packages at the same time as each other (pip mostly unpacks on one core, npm waits
# on its cache). With the venv made and filled as above, a fresh setup-test took 89 s
# here where it took 124 s before.
setup: check-python $(VENV)/.book-installed
setup-test: browser poppler
	$(MAKE) --no-print-directory -j 2 -O $(VENV)/.test-installed assets

# Widget JavaScript, require.js and MathJax come from npm (package-lock.json) and are
# copied into _widget_assets/, which the book serves itself: no CDN at read time.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

_widget_assets/.built: node_modules/.package-lock.json scripts/build_widget_assets.py
	$(PYTHON) scripts/build_widget_assets.py
	touch $@

assets: _widget_assets/.built

# Chromium from Debian for the browser tests (Playwright cannot download browsers here):
# the full browser, and its headless shell, which the tests drive where a package of it
# exists (tests/support/browser.py: a page load takes it less than half the CPU time).
APT_INSTALL := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
  --no-install-recommends
browser:
	@command -v chromium >/dev/null 2>&1 && command -v chromium-headless-shell \
	  >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq; \
	  command -v chromium >/dev/null 2>&1 || $(APT_INSTALL) chromium; \
	  if apt-cache show chromium-headless-shell >/dev/null 2>&1; then \
	    $(APT_INSTALL) chromium-headless-shell; \
	  else echo "make: no chromium-headless-shell package here: the browser tests" \
	    "drive chromium (slower)"; fi; }

# --- the book ---------------------------------------------------------------
book: setup assets
	$(JB) build . $(JB_FLAGS)
	@echo "Open _build/html/index.html"

# Student edition: the same book with every solution removed, into _build/student/html
# (published under student/); its launch and download buttons open the student notebooks.
book-student: setup assets
	$(PY) scripts/student_edition.py

# The notebooks readers open, as the deploy workflow pushes them to the branches
# `notebooks` (full: solutions folded away) and `student-notebooks` (no solutions):
# plain Markdown, generated from the chapters (_ext/notebook_editions.py).
notebooks: setup
	$(PY) scripts/editions.py --out _build/editions

# A fork: set repository.url in _config.yml (or pass REPO_URL=https://github.com/o/r),
# then this writes it into the setup cells, CONTRIBUTING and the README's links.
fork: setup
	$(PY) scripts/fork.py $(if $(REPO_URL),--url $(REPO_URL))

# The published site, as the deploy workflow uploads it: the full book at the root,
# the student edition under student/, the slides under slides/, the PDF as book.pdf,
# and the Spanish and Korean editions under es/ and ko/ (mk/i18n.mk).
SITE := _build/site
site: book book-student slides pdf
	rm -rf $(SITE) && mkdir -p $(SITE)
	cp -r _build/html/. $(SITE)/
	cp -r _build/student/html $(SITE)/student
	rm -rf $(SITE)/slides && cp -r $(SLIDES_DIR) $(SITE)/slides
	cp $(BOOK_PDF) $(SITE)/book.pdf
	$(MAKE) --no-print-directory site-i18n
	@echo "The site is in $(SITE)"

# JupyterLab on the chapters, with the book's pinned environment.
lab: check-python $(VENV)/.lab-installed
	$(BIN)/jupyter lab --notebook-dir=chapters

# --- tests ------------------------------------------------------------------
lint: $(VENV)/.test-installed
	$(BIN)/ruff check .

# The editions make test reads, built side by side: each is one Sphinx build (or
# script) on one core, into a folder of its own, so one job per core builds the same
# files (diff -r) in about 33 s instead of 44 s. -O keeps each build's log together.
# mk/i18n.mk adds the Spanish and Korean books.
EDITIONS := book book-student slides
BUILD_JOBS ?= $(PYTEST_WORKERS)
.PHONY: editions
editions: setup-test
	$(MAKE) --no-print-directory -j $(BUILD_JOBS) -O $(EDITIONS)

# Everything: lint, unit and property tests, strict nbval of every chapter, build
# checks and browser tests against the freshly built book and student edition, and
# every chapter top to bottom with oneDNN off (its asserts, not its outputs:
# tests/test_portability.py, each in a process of its own). Two workers (one per
# core); --dist loadgroup runs each file's tests on one worker (a notebook's cells in
# one kernel), but the browser tests that share one load of a page of the book run
# together by page, and the oneDNN-off runs each on its own (tests/conftest.py). Then
# what must hold on another reader's machine: strict nbval again on torch's and
# oneDNN's generic kernels, and the widgets' Python side under ipywidgets 7.7.1.
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -q -n $(PYTEST_WORKERS)
test: setup-test editions lint
	STUDENT_HTML=$(CURDIR)/_build/student/html \
	  $(PYTEST) tests $(NOTEBOOKS) $(NBVAL) --dist loadgroup
	$(GENERIC_KERNELS) $(PYTEST) $(NOTEBOOKS) $(NBVAL) --dist loadfile
	$(MAKE) --no-print-directory test-widgets7

# Without rebuilding the book (for quick iterations on tests).
test-fast: setup-test lint
	$(PYTEST) tests $(NOTEBOOKS) $(NBVAL) --dist loadgroup \
	  -m "not browser and not book and not portability"

# Colab ships ipywidgets 7.7.1 and packviz allows it: tests/test_widgets.py runs in a
# venv that sees .venv's packages and this checkout, with ipywidgets 7.7.1 in front.
W7 := $(VENV)/ipywidgets7
$(W7)/.installed: $(VENV)/.test-installed
	rm -rf $(W7)
	$(PY) -m venv --without-pip $(W7)
	$(PIP) --python $(W7)/bin/python install --quiet --no-deps ipywidgets==7.7.1 \
	  ipython_genutils==0.2.0
	$(W7)/bin/python -c 'import pathlib, sys, sysconfig; \
	  pth = pathlib.Path(sysconfig.get_paths()["purelib"], "book-venv.pth"); \
	  pth.write_text("\n".join(sys.argv[1:]) + "\n")' \
	  "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" "$(CURDIR)"
	touch $@

test-widgets7: $(W7)/.installed
	$(W7)/bin/python -c 'import ipywidgets; assert ipywidgets.__version__ == "7.7.1"'
	$(W7)/bin/python -m pytest -q -n $(PYTEST_WORKERS) tests/test_widgets.py

# Every chapter in a Colab-like runtime (scripts/colab_compat.py): Python 3.12, the
# newest torch from PyPI, ipywidgets 7.7.1, each setup cell installing packviz from a
# local clone. Not part of `make test`: it puts about 6 GB into $(COMPAT_DIR).
COMPAT_DIR ?= .compat
test-compat: setup
	$(PY) scripts/colab_compat.py --dir $(COMPAT_DIR)

# --- measurements (scripts, not timed tests) --------------------------------
# Targets: each notebook <= 5 s, clean build <= 30 s, rebuild <= 10 s; TIMINGS=--ci adds
# CI=true make test on a fresh clone (<= 5 min), split into install, build and tests;
# TIMINGS=--browsers only compares the full Chromium and its headless shell.
TIMINGS ?= --repeat 2
timings: setup assets
	$(PY) scripts/timings.py $(TIMINGS)

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

# Each part of the course kit (slides, PDF, grading, editions) keeps its targets in a
# file of its own under mk/.
include $(wildcard mk/*.mk)
