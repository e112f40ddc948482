# Community MARAC: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two workers per run: the machine has two cores and the tests are independent.
PYTEST_ARGS ?= -n 2 --dist worksteal

.PHONY: install install-test run test lint browser system-packages wrk bench clean

# What `make run` needs: the app's own packages only, never the test tools.
install: $(VENV)/.installed static/dist/.built system-packages

# What `make test` needs on top: pytest, Playwright, axe-core and the other test tools.
# The test installs come first and stamp the app's installs too, so a fresh clone runs
# pip and npm once each rather than twice.
install-test: $(VENV)/.test-installed node_modules/.dev-installed install

$(VENV)/.installed: pyproject.toml
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(VENV)/.installed $@

node_modules/.installed: package.json package-lock.json
	npm ci --omit=dev --no-audit --no-fund --loglevel=error
	touch $@

node_modules/.dev-installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.installed $@

# GOV.UK Frontend compiled with Arial; its images and script copied from npm (never committed).
static/dist/.built: node_modules/.installed static/src/marac.scss
	npm run --silent build
	rm -rf static/dist/govuk && mkdir -p static/dist/govuk
	cp -R node_modules/govuk-frontend/dist/govuk/assets static/dist/govuk/assets
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js static/dist/govuk/
	touch $@

# The web server, one job worker (SQLite queue under instance/) and a development virus
# scanner: Ctrl+C stops them all,
# the worker after its running jobs finish.
run: install
	$(BIN)/marac db upgrade
	$(BIN)/marac demo-data --if-empty
	@echo "Serving Community MARAC on http://127.0.0.1:5000 with its job worker and a development virus scanner (Ctrl+C stops them all)"
	@export MARAC_CLAMD_ADDRESS=$${MARAC_CLAMD_ADDRESS:-$(CURDIR)/instance/clamav/clamd.sock}; \
	$(BIN)/marac dev-scanner & scanner=$$!; \
	$(BIN)/marac worker & worker=$$!; \
	trap 'trap - INT TERM EXIT; kill -INT $$worker 2>/dev/null; kill $$scanner 2>/dev/null; wait $$worker' INT TERM EXIT; \
	$(BIN)/marac run --host 127.0.0.1 --port 5000

# Debian packages the app itself needs: DejaVu fonts embedded in the PDF minutes, libmagic
# (attachments' real file types) and ClamAV's daemon (attachments' virus scan).
system-packages:
	@missing=""; \
	[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	ldconfig -p 2>/dev/null | grep -q 'libmagic\.so\.1' || missing="$$missing libmagic1"; \
	[ -x /usr/sbin/clamd ] || missing="$$missing clamav-daemon"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# Headless Chromium for the browser tests, from Debian's packages.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

# wrk, the HTTP load generator `make bench` drives (Debian package).
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "Installing Debian's wrk for the benchmark"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null; }

# The performance benchmark (issue 16), not part of `make test`: 1x and 10x PostgreSQL
# databases, gunicorn -w 2, wrk. BENCH_SCALE=0.1 for a quick run; see docs/performance.md.
bench: install-test wrk
	$(BIN)/python -m benchmarks.run

lint: install-test
	$(BIN)/ruff check marac migrations tests benchmarks
	$(BIN)/ruff format --check marac migrations tests benchmarks

# The whole suite on SQLite, then on PostgreSQL in fresh databases, two workers each: one
# after the other is faster on two cores than side by side (measured: 14 min against 18),
# and the browser tests are shared between the two runs (tests/conftest.py).
test: install-test browser lint
	@status=0; $(BIN)/python -m tests.postgres check || status=$$?; \
	if [ $$status -ne 0 ] && [ $$status -ne 3 ]; then exit $$status; fi; \
	if [ $$status -eq 0 ]; then export MARAC_BROWSER_SHARE=1; fi; \
	MARAC_TEST_DB=sqlite $(BIN)/pytest $(PYTEST_ARGS); sqlite=$$?; \
	pg_status=0; \
	if [ $$status -eq 0 ]; then \
	  echo "==== PostgreSQL run"; \
	  MARAC_TEST_DB=postgresql $(BIN)/pytest $(PYTEST_ARGS) || pg_status=$$?; \
	else \
	  echo "PostgreSQL is not reachable: the PostgreSQL run was not done (with CI set this fails)."; \
	fi; \
	[ $$sqlite -eq 0 ] && [ $$pg_status -eq 0 ]

clean:
	rm -rf $(VENV) node_modules static/dist .pytest_cache
