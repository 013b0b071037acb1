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

.PHONY: book test test-fast test-kernel test-rootless bench-smoke install install-test assets wheel \
	lock clean help

help:
	@echo "make book   install everything (pinned) and build the website into _build/html"
	@echo "make test   install what the tests need (Debian packages too) and run every test (CI)"
	@echo "make test-fast       the unit tests only (-m 'not slow', no book/nbgrader/browser): < 3 min"
	@echo "make test-rootless   (root) the sandbox tests again as an unprivileged user"
	@echo "make test-kernel     only the exercises' re-grade under another BLAS kernel"
	@echo "make bench-smoke     every benchmarks/*.py --quick, end to end (make test runs it)"

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

# Debian packages the tests drive for real: Chromium (browser tests), PostgreSQL (gradebook test)
# and Info-ZIP's zip and unzip (zips with true times, and the folders unzip makes of them).
install-test: install
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v zip >/dev/null 2>&1 || missing="$$missing zip"; \
	command -v unzip >/dev/null 2>&1 || missing="$$missing unzip"; \
	test -x /usr/lib/postgresql/15/bin/postgres || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Tests run in parallel (pytest-xdist): TEST_WORKERS processes on the machine's 2 cores (more
# workers than cores: many tests wait on kernels, nbgrader and Chromium). tests/conftest.py keeps
# the tests that share a costly set-up on one worker and prints, at the end, the 15 slowest tests
# and the time per test file.
# One BLAS thread per test process: the workers are the parallelism (3 workers with OpenBLAS's 2
# threads each would fight over 2 cores), and the grading kernels compute as the book's do.
TEST_WORKERS ?= 3
PYTEST_PARALLEL = -n $(TEST_WORKERS) --dist loadgroup
export OPENBLAS_NUM_THREADS ?= 1

# The site is built first, so the book and browser tests check that very build (DLCOURSE_BOOK_BUILT=1).
# The same run grades every exercise again under another BLAS kernel (FORCED_KERNEL, in a copy of
# the released course: see tests/test_exercises.py): the solution's full points, each seeded
# mistake's exact loss and a package import's zero must not depend on the CPU.
# Then every benchmark runs once on a tiny input (bench-smoke: a script broken by a merge shows).
# As root (CI), the sandbox's isolation and hostile-batch tests run once more as an
# unprivileged user: the rootless mode (scripts/test_rootless.sh), after the main run (on 2
# cores, side by side only slows both).
FORCED_KERNEL ?= Prescott
test: install-test book
	DLCOURSE_BOOK_BUILT=1 DLCOURSE_FORCED_KERNEL=$(FORCED_KERNEL) $(BIN)/python -m pytest $(PYTEST_PARALLEL); \
	  rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi; exit $$rc
	$(MAKE) --no-print-directory bench-smoke
	if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory test-rootless; fi

# The inner loop: everything not marked slow (the package, the checks, dlgrade's modules, the
# judge's wire protocol); no book build, no nbgrader run, no browser.
test-fast: install
	$(BIN)/python -m pytest -m "not slow" -n 2 -q

test-kernel: install
	DLCOURSE_FORCED_KERNEL=$(FORCED_KERNEL) $(BIN)/python -m pytest -q $(PYTEST_PARALLEL) \
	  tests/test_exercises.py tests/test_exercise_fairness.py -k "under_a_forced_kernel"

test-rootless: install
	TEST_WORKERS=$(TEST_WORKERS) bash scripts/test_rootless.sh

# Each benchmark end to end on a tiny input (--quick), its wall time printed; nothing asserted.
bench-smoke: install
	@for script in benchmarks/*.py; do \
	  echo "== $$script --quick"; start=$$(date +%s); \
	  $(BIN)/python $$script --quick || exit 1; \
	  echo "== $$script --quick: $$(( $$(date +%s) - start )) s"; \
	done

lock:
	$(BIN)/python -m pip freeze --exclude-editable | sort -f > requirements.lock.new
	@echo "review requirements.lock.new, then fold it into requirements.txt"

clean:
	rm -rf _build
