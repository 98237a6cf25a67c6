# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The host names the local server answers to; with HOST=0.0.0.0 add the machine's own name.
ALLOWED_HOSTS ?= 127.0.0.1,localhost
PYTEST_ARGS ?=
FULL ?= 0

# The server's log lines as text to read (production writes JSON: docs/DEPLOY.md, "Monitoring").
LOG_FORMAT ?= text

# Serving on this machine over plain HTTP, with the secrets production sets in its environment
# generated once into .data/secrets/ (config/local_secrets.py), and the background tasks (push
# notifications) run by the server process itself instead of a worker of their own.
LOCAL_ENV = HTTPS=false LOCAL_SECRETS_DIR=.data/secrets ALLOWED_HOSTS=$(ALLOWED_HOSTS) TASK_WORKER_IN_PROCESS=true LOG_FORMAT=$(LOG_FORMAT)
# `make run`: DEBUG off, as in production: error pages without the platform's internals, static
# files collected and served by ServeStatic.
RUN_ENV = DEBUG=false $(LOCAL_ENV)
# `make dev`, `make migrate`, `make seed`: DEBUG on (seed_demo refuses to load the demo's
# published password with DEBUG off); the same secrets, so `make run` reads what they wrote.
DEV_ENV = DEBUG=true $(LOCAL_ENV)
# daphne with the platform's websocket frame limits (config/daphne.py), as the Docker image runs it
SERVE = $(BIN)/python -m config.daphne -b $(HOST) -p $(PORT) --websocket_connect_timeout 30 config.asgi:application

.DEFAULT_GOAL := help
.PHONY: help install install-dev install-bench run dev migrate seed static test bench lint format messages vendor css clean

help:
	@echo "make run    - install, migrate, load demo data, serve on http://$(HOST):$(PORT)"
	@echo "             (DEBUG off; embedded PostgreSQL in .data/postgres unless DATABASE_URL is set)"
	@echo "make dev    - the same with DEBUG on, for development"
	@echo "make test   - install test tools and run the whole test suite"
	@echo "make bench - short benchmark run (a few minutes); make bench FULL=1 writes docs/BENCHMARKS.md"
	@echo "make lint   - ruff check, format check and mypy (strict on core/, access and services)"
	@echo "make messages - update and compile the Dutch and English catalogues"
	@echo "make vendor - refresh vendored CSS/JS from npm (needs npm), then make css"
	@echo "make css    - rewrite static/vendor/utrecht/components.css: the Utrecht components in use"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $@ $(VENV)/.installed-dev $(VENV)/.installed

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

install-bench: $(VENV)/.installed-bench

migrate: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

seed: migrate
	$(DEV_ENV) $(BIN)/python manage.py seed_demo

static: install
	$(RUN_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0

run: seed static
	@echo "Wijkplatform: http://$(HOST):$(PORT)/"
	$(RUN_ENV) $(SERVE)

dev: seed
	@echo "Wijkplatform (DEBUG on): http://$(HOST):$(PORT)/"
	$(DEV_ENV) $(SERVE)

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-bench
	FULL=$(FULL) bash bench/run.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: install-dev
	$(BIN)/python manage.py makemessages --locale nl --locale en --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'staticfiles/*' --ignore 'tests/*' --ignore 'scripts/*' --ignore 'bench/*' --no-obsolete
	$(BIN)/python scripts/fill_english_catalogue.py locale/en/LC_MESSAGES/django.po
	$(BIN)/python manage.py compilemessages --locale nl --locale en --ignore '.venv/*'

vendor:
	bash scripts/vendor_static.sh
	$(MAKE) css

# After using a Utrecht component no page used before; tests/test_css_subset.py fails
# until this has run.
css: install-dev
	$(BIN)/python scripts/css_subset.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
