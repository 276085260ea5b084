# Two commands do everything: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers, each with its own test database (`make test TEST_WORKERS=0` runs in
# one process). Two halve the suite's time on a two-core machine.
TEST_WORKERS ?= 2
CARDS_ISO_PORT ?= 8583

.PHONY: run test lint format install install-dev migrate demo messages

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# face_recognition declares "dlib", which pip would build from source; dlib-bin (in
# requirements.txt) ships the same module prebuilt, so it goes in without dependencies.
$(RUN_STAMP): requirements.txt requirements-kyc-nodeps.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-kyc-nodeps.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt requirements-kyc-nodeps.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-kyc-nodeps.txt
	touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)
install-dev: $(DEV_STAMP)

migrate: install
	DEBUG=true $(PY) manage.py migrate --no-input

demo: migrate
	DEBUG=true $(PY) manage.py load_demo_data
	DEBUG=true $(PY) manage.py seed_cip
	DEBUG=true $(PY) manage.py seed_str

# Web (ASGI: HTTP + websockets), Celery worker and beat, and the ISO 8583 card
# authorization server (TCP, CARDS_ISO_PORT) together under honcho.
run: demo
	@DEBUG=true HOST=$(HOST) PORT=$(PORT) $(PY) manage.py print_welcome
	DEBUG=true HOST=$(HOST) PORT=$(PORT) CARDS_ISO_PORT=$(CARDS_ISO_PORT) $(VENV)/bin/honcho -f Procfile.dev start

test: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/bandit -c pyproject.toml -r apps athena -ll -q
	$(PY) .ci/dependency_audit.py
	ATHENA_TESTING=true $(PY) manage.py makemigrations --check --dry-run
	ATHENA_TESTING=true $(PY) manage.py check
	ATHENA_TESTING=true $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
