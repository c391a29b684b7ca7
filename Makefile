# The two commands a new user runs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint format check-ledger bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

$(CHROMIUM):
	apt-get install -y chromium || (apt-get update && apt-get install -y chromium)

# The task worker (e-mails, webhooks) runs beside the web server and stops with it.
run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py db_worker --queue-name '*' --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(VENV)/.installed-dev $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest -n auto

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-ledger: $(VENV)/.installed
	$(BIN)/python manage.py check_ledger

/usr/bin/wrk:
	apt-get install -y wrk || (apt-get update && apt-get install -y wrk)

bench: $(VENV)/.installed-dev /usr/bin/wrk
	$(BIN)/python bench/run.py
	$(BIN)/python bench/outbox.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/exports.py
	$(BIN)/python bench/import_members.py
	$(BIN)/python bench/check_ledger.py
	$(BIN)/python bench/http_pages.py
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles tests/e2e/artifacts
