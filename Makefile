# Developer entry points. `make test` is the test command CI runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test test-postgres test-mariadb lint format migrations-check tox clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,dev,schema]"
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the package with its test tools

test: $(STAMP)  ## run the test suite with coverage (SQLite unless DATABASE_URL is set)
	$(BIN)/python -m pytest --cov --cov-report=term --cov-fail-under=95 $(ARGS)

test-postgres: $(STAMP)  ## run the test suite on the local PostgreSQL
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/test $(BIN)/python -m pytest $(ARGS)

test-mariadb: $(STAMP)  ## run the test suite on the local MariaDB
	DATABASE_URL=mysql://root@127.0.0.1:3306/test $(BIN)/python -m pytest $(ARGS)

lint: $(STAMP)  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(STAMP)  ## fail when a model change has no migration
	$(BIN)/django-admin makemigrations --check --dry-run --settings=tests.settings --pythonpath=.

tox: $(STAMP)  ## the whole matrix: Python 3.11-3.13 x Django 5.2/6.0/6.1, lint, migrations, databases
	$(BIN)/tox run-parallel --parallel auto --parallel-no-spinner $(ARGS)

clean:
	rm -rf $(VENV) .tox .coverage .pytest_cache build dist *.egg-info
