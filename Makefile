# Commitment Forecaster — everything a fresh machine needs, from two commands:
#   make run    install, migrate and start the service on SQLite (./data)
#   make test   install and run every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ASSETS := node_modules/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
export FORECASTER_DATA_DIR ?= $(CURDIR)/data

.PHONY: install run test lint lock bench bench-quick test-postgres test-browser test-faults test-all \
	chromium clean messages compilemessages gettext fonts

# The pytest selection of the everyday suite; the other suites are chosen by marker.
UNIT_TESTS := -m "not browser and not faults"

install: $(STAMP) $(ASSETS) compilemessages fonts

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Translations (CONTRIBUTING.md, "Translations"): one catalogue per app in forecaster/<app>/locale/
# and forecaster/locale/ for the shared templates and lib. `make messages` collects every marked
# string into the Polish and Russian catalogues; the compiled .mo files are built at install and
# never committed.
LANGS := -l pl -l ru
gettext:
	@command -v msgfmt >/dev/null 2>&1 || scripts/apt-install.sh gettext

# The outlook PDF embeds DejaVu Sans (Debian's fonts-dejavu-core) for Polish and Russian letters.
fonts:
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || scripts/apt-install.sh fonts-dejavu-core

messages: $(STAMP) gettext
	@for app in forecaster/*/apps.py; do mkdir -p "$$(dirname $$app)/locale"; done
	@mkdir -p forecaster/locale
	cd forecaster && DJANGO_SETTINGS_MODULE=forecaster.settings FORECASTER_DATA_DIR=$(CURDIR)/.test-data \
		../$(BIN)/django-admin makemessages $(LANGS) --no-location --no-obsolete --no-wrap \
		--ignore='*/tests/*' --ignore='sandbox/*' --ignore='e2e/*' --ignore='quality/*' -v 0
	@$(BIN)/python scripts/tidy-po.py forecaster
	$(MAKE) --no-print-directory compilemessages

compilemessages: $(STAMP) gettext
	@cd forecaster && DJANGO_SETTINGS_MODULE=forecaster.settings FORECASTER_DATA_DIR=$(CURDIR)/.test-data \
		../$(BIN)/django-admin compilemessages -v 0

run: install
	$(BIN)/forecaster serve --host $(HOST) --port $(PORT)

# The unit and integration suite on the embedded SQLite default.
# The SQLite test database is a file (not the shared in-memory cache), so tests that run
# syncs in threads meet the same locking as the service: WAL and the busy timeout.
test: install messages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	FORECASTER_DATA_DIR=$(CURDIR)/.test-data $(BIN)/mypy
	FORECASTER_DATA_DIR=$(CURDIR)/.test-data \
	FORECASTER_TEST_SQLITE_NAME=$(CURDIR)/.test-data/test.sqlite3 $(BIN)/pytest $(UNIT_TESTS)

# The same suite on PostgreSQL: a throwaway server on loopback in a temporary directory
# (installed from Debian's packages when missing), stopped and removed afterwards.
test-postgres: install
	FORECASTER_DATA_DIR=$(CURDIR)/.test-data scripts/with-postgres.sh $(BIN)/pytest $(UNIT_TESTS)

# Browser end to end: Playwright drives Debian's Chromium (never a downloaded browser) through
# the real service and the WHMCS sandbox; screenshots land in screenshots/.
test-browser: install chromium
	FORECASTER_DATA_DIR=$(CURDIR)/.test-data $(BIN)/pytest -m browser

chromium:
	@test -x /usr/bin/chromium || scripts/apt-install.sh chromium fonts-dejavu-core

# Fault injection: SIGKILLed workers, a failing/shifting sandbox, concurrent syncs, a locked
# database, and the API fuzzed against its OpenAPI schema.
test-faults: install
	FORECASTER_DATA_DIR=$(CURDIR)/.test-data $(BIN)/pytest -m faults

# Every gate CI runs, in CI's order.
test-all: test test-postgres test-browser test-faults

# Benchmarks (not tests: nothing fails on a slow machine) → BENCHMARKS.md, on SQLite and on a
# throwaway PostgreSQL (durable settings). bench: 100 000 and 1 000 000 invoices (about half an
# hour); bench-quick: 100 000 only.
bench: install
	@test -x /usr/bin/time || scripts/apt-install.sh time
	PG_DURABLE=1 scripts/with-postgres.sh $(BIN)/python -m bench.run --sizes 100000,1000000 --output BENCHMARKS.md

bench-quick: install
	@test -x /usr/bin/time || scripts/apt-install.sh time
	PG_DURABLE=1 scripts/with-postgres.sh $(BIN)/python -m bench.run --sizes 100000 --output BENCHMARKS.md

# Every gate here fails on a violation: lint (complexity and annotations included), format drift,
# an app importing an app above it (the import-linter contract), a type error where mypy checks
# (all configured in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	FORECASTER_DATA_DIR=$(CURDIR)/.test-data $(BIN)/mypy

# Re-pin the Python dependencies after editing pyproject.toml.
lock:
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header -o requirements.lock

clean:
	rm -rf $(VENV) node_modules .test-data .mypy_cache
