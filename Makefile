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

.PHONY: install run test lint lock bench test-postgres test-browser test-faults clean

install: $(STAMP) $(ASSETS)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: install
	$(BIN)/forecaster serve --host $(HOST) --port $(PORT)

# The unit and integration suite on the embedded SQLite default.
test: install
	$(BIN)/ruff check .
	FORECASTER_DATA_DIR=$(CURDIR)/.test-data $(BIN)/pytest -m "not browser and not faults"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || true

# Re-pin the Python dependencies after editing pyproject.toml.
lock:
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header -o requirements.lock

clean:
	rm -rf $(VENV) node_modules .test-data
