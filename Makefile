# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
FULL ?= 0

.DEFAULT_GOAL := help
.PHONY: help install install-dev install-bench run migrate seed test bench lint format messages vendor clean

help:
	@echo "make run    - install, migrate, load demo data, serve on http://$(HOST):$(PORT)"
	@echo "             (embedded PostgreSQL in .data/postgres unless DATABASE_URL is set)"
	@echo "make test   - install test tools and run the whole test suite"
	@echo "make bench - short benchmark run (a few minutes); make bench FULL=1 writes docs/BENCHMARKS.md"
	@echo "make lint   - ruff check and format check"
	@echo "make messages - update and compile the Dutch and English catalogues"
	@echo "make vendor - refresh vendored CSS/JS from npm (needs npm)"

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
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	@echo "Wijkplatform: http://$(HOST):$(PORT)/"
	$(BIN)/daphne -b $(HOST) -p $(PORT) --websocket_connect_timeout 30 config.asgi:application

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-bench
	FULL=$(FULL) bash bench/run.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: install-dev
	$(BIN)/python manage.py makemessages --locale nl --locale en --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'staticfiles/*' --ignore 'tests/*' --ignore 'scripts/*' --ignore 'bench/*' --no-obsolete
	$(BIN)/python scripts/fill_english_catalogue.py locale/en/LC_MESSAGES/django.po
	$(BIN)/python manage.py compilemessages --locale nl --locale en --ignore '.venv/*'

vendor:
	bash scripts/vendor_static.sh

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
