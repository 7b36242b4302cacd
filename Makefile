# Throughline — every set-up step is here, so a fresh machine needs only `make demo` or `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen --python $(PYTHON)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install demo serve test lint format bench worker beat migrate clean

help:
	@echo "make demo    install, create the SQLite database, seed the demo organization, serve on http://$(HOST):$(PORT)"
	@echo "make test    install, lint, type-check and run the whole test suite (PostgreSQL, Redis, Chromium)"
	@echo "make bench   seed a large tenant and write docs/benchmarks.md"
	@echo "make worker  a Celery worker;  make beat: the Celery beat scheduler"

$(UV):
	$(PYTHON) -m pip install --user --quiet "uv==0.13.9"

.venv/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: .venv/.installed

migrate: install
	$(RUN) python manage.py migrate --noinput

demo: export DEBUG ?= true
demo: install
	$(RUN) python manage.py migrate --noinput
	$(RUN) python manage.py seed_demo
	$(RUN) python manage.py runserver $(HOST):$(PORT)

serve: install
	$(RUN) python manage.py runserver $(HOST):$(PORT)

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy governance measures approvals reporting config
	$(RUN) python manage.py makemigrations --check --dry-run

format: install
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

test: lint
	$(RUN) python -m tests.preflight $(ARGS)

bench: install
	$(RUN) python -m tests.bench $(ARGS)

worker: install
	$(RUN) celery -A config worker --loglevel=INFO

beat: install
	$(RUN) python manage.py schedule_sync
	$(RUN) celery -A config beat --loglevel=INFO

clean:
	rm -rf .venv staticfiles throughline.sqlite3* test_throughline.sqlite3*
