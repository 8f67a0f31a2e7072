# IMS — the two commands: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
# axe-core for the browser tests' accessibility checks (tests/e2e/axe.py), pinned.
AXE_VERSION := 4.10.3
AXE_DIR := .cache/axe-core
AXE_STAMP := $(AXE_DIR)/.version-$(AXE_VERSION)

.PHONY: run test lint format bench install browser axe migrate messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

## make run: SQLite, tasks inline (no REDIS_URL), demo data once, dev server on 127.0.0.1:8000.
run: migrate
	$(BIN)/python manage.py seed_demo
	env -u REDIS_URL $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## Debian's Chromium for the browser tests; apt only when missing and running as root.
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing chromium (Debian) for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing; browser tests will be skipped (install it: apt-get install chromium)"; fi; \
	fi

## axe-core from the npm registry into .cache/axe-core/axe.min.js (ignored), once per version;
## npm from apt only when missing and running as root. Nothing is fetched at test time.
axe: $(AXE_STAMP)

$(AXE_STAMP):
	@if ! command -v npm >/dev/null 2>&1 && [ "$$(id -u)" = "0" ]; then \
	  echo "Installing npm (Debian) to fetch axe-core"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	fi; \
	if ! command -v npm >/dev/null 2>&1; then \
	  echo "npm is missing; the accessibility checks in the browser tests will be skipped (install npm, then make axe)"; \
	else \
	  echo "Fetching axe-core $(AXE_VERSION) from npm"; \
	  rm -rf $(AXE_DIR) && mkdir -p $(AXE_DIR)/npm && \
	  npm install --silent --prefix $(AXE_DIR)/npm --no-save --no-audit --no-fund --ignore-scripts \
	    axe-core@$(AXE_VERSION) && \
	  cp $(AXE_DIR)/npm/node_modules/axe-core/axe.min.js $(AXE_DIR)/axe.min.js && \
	  cp $(AXE_DIR)/npm/node_modules/axe-core/LICENSE $(AXE_DIR)/LICENSE && \
	  touch $@; \
	fi

# The suite runs on the real services every machine here has (README): PostgreSQL and
# Redis on localhost, unless DATABASE_URL / REDIS_URL say otherwise (.ci/run sets both).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

## make test: lint and layer contracts, then the whole suite on PostgreSQL and Redis.
test: export DATABASE_URL := $(or $(DATABASE_URL),$(TEST_DATABASE_URL))
test: export REDIS_URL := $(or $(REDIS_URL),$(TEST_REDIS_URL))
test: install browser axe
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make bench: benchmarks in bench/, each prints its figures (needs PostgreSQL: DATABASE_URL).
bench: install
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = "0" ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || true
	$(BIN)/python bench/member_list.py
	$(BIN)/python bench/import.py
	$(BIN)/python bench/outbox.py
	$(BIN)/python bench/invoice_run.py

## Recompile translations after editing locale/*/LC_MESSAGES/django.po (needs gettext).
messages: install
	$(BIN)/python manage.py makemessages -l nb -l en --ignore=.venv --ignore=bench --ignore=tests
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
