# The course's two commands:  make book  (install + build the site)  and  make test  (install + every test).
# Everything goes into .venv/ beside this file; nothing depends on what was installed by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# nbgrader calls `jupyter` and `alembic` by name: the venv's bin must come first on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Quiet, reproducible builds: no pyc noise from kernels, one BLAS thread count for every run.
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg

STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: book test test-kernel test-rootless install install-test assets wheel lock clean help

help:
	@echo "make book   install everything (pinned) and build the website into _build/html"
	@echo "make test   install what the tests need (Debian packages too) and run every test"
	@echo "make test-rootless   (root) the sandbox tests again as an unprivileged user"
	@echo "make test-kernel     the exercises graded again under another BLAS kernel"

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

install: $(STAMP) $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Local copies of the browser-side assets (MathJax, ...) copied out of node_modules into the site.
assets: install
	$(BIN)/python -m dlcourse.assets

# The teaching package as a wheel, published on the site: students run a chapter with
# `pip install dlcourse-<version>-py3-none-any.whl`, without cloning the course.
wheel: install
	rm -rf _site_extra/dist build
	$(BIN)/python -m pip wheel --quiet --disable-pip-version-check --no-deps -w _site_extra/dist .
	rm -rf build

book: install assets wheel
	rm -rf _build/html
	$(BIN)/jupyter-book build . -W -n --keep-going

# Debian packages the tests drive for real: Chromium (browser tests) and PostgreSQL (gradebook test).
install-test: install
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	test -x /usr/lib/postgresql/15/bin/postgres || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The site is built first, so the book and browser tests check that very build (DLCOURSE_BOOK_BUILT=1).
# Then every exercise is graded again under another BLAS kernel (see tests/test_blas_kernels.py for
# the book): the solution's full points, each seeded mistake's exact loss and a package import's zero
# must not depend on the CPU (one nbgrader autograde per assignment).
# As root (CI), the sandbox's isolation and hostile-batch tests run once more as an
# unprivileged user: the rootless mode (scripts/test_rootless.sh).
test: install-test book
	DLCOURSE_BOOK_BUILT=1 $(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi; exit $$rc
	$(MAKE) --no-print-directory test-kernel
	if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory test-rootless; fi

FORCED_KERNEL ?= Prescott
test-kernel: install
	OPENBLAS_CORETYPE=$(FORCED_KERNEL) $(BIN)/python -m pytest -q tests/test_exercises.py \
	  -k "score_full_points or costs_exactly or earns_nothing"

test-rootless: install
	bash scripts/test_rootless.sh

lock:
	$(BIN)/python -m pip freeze --exclude-editable | sort -f > requirements.lock.new
	@echo "review requirements.lock.new, then fold it into requirements.txt"

clean:
	rm -rf _build
