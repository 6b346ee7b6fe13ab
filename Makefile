# Developer entry points. `make test` is the test command CI runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test test-postgres test-mariadb lint format migrations-check tox docs typecheck clean
.PHONY: dist dist-check test-wheel bench-secrets bench-auth bench bench-smoke wrk

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,dev,schema,demo,docs,integration,lasuite,filters]"
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

# tox needs python3.12 and python3.13. Where pyenv installed them without selecting them (its
# shims then fail), tox gets their bin directories at the front of PATH. Expanded when used.
TOX_PATH = $(shell for version in 3.12 3.13; do \
	"python$$version" -V >/dev/null 2>&1 && continue; \
	for dir in "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/"$$version"*/bin; do \
		if [ -x "$$dir/python$$version" ]; then printf '%s:' "$$dir"; break; fi; \
	done; \
done)$(PATH)
TOX = PATH="$(TOX_PATH)" $(BIN)/tox

tox: $(STAMP)  ## the whole matrix: Python 3.11-3.13 x Django 5.2/6.0/6.1, lint, migrations, databases
	$(TOX) run-parallel --parallel auto --parallel-no-spinner $(ARGS)

docs: $(STAMP)  ## build the documentation site into site/ (MkDocs, strict: any warning fails)
	$(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) .tox .coverage .pytest_cache build dist *.egg-info site

# -- Packaging: what `pip install` gets ----------------------------------------------------------
dist: $(STAMP)  ## build the sdist, then the wheel from it, into dist/
	rm -rf dist
	$(BIN)/python -m build --quiet --outdir dist .

dist-check: dist  ## list the sdist and the wheel; fail on tests in the sdist, missing package files
	$(BIN)/python .ci/check_dist.py dist

test-wheel: dist  ## the example project's tests against the wheel, in a clean venv outside the tree
	$(BIN)/python .ci/test_wheel.py dist $(ARGS)

# -- example_project/: La Suite Meet in miniature ------------------------------------------------
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 8000
MANAGE := $(BIN)/python example_project/manage.py
# The demo serves Swagger UI's and ReDoc's static files itself (runserver does with DEBUG on).
DEMO_ENV := DJANGO_DEBUG=$${DJANGO_DEBUG:-true}

.PHONY: demo demo-check demo-ci test-example test-example-postgres test-browser schema schema-check
.PHONY: test-contract test-clients test-guide

demo: $(STAMP)  ## one command on a fresh clone: migrate SQLite, demo user and application, run the server
	$(DEMO_ENV) $(MANAGE) migrate --noinput
	$(DEMO_ENV) $(MANAGE) demo_setup --base-url http://$(DEMO_HOST):$(DEMO_PORT)
	$(DEMO_ENV) $(MANAGE) runserver $(DEMO_HOST):$(DEMO_PORT)

demo-check: $(STAMP)  ## run the whole flow against the running demo (DEMO_URL, default http://127.0.0.1:8000)
	$(BIN)/python example_project/demo_check.py $(ARGS)

demo-ci: $(STAMP)  ## start a throwaway demo server on a free port, run demo-check against it, stop it
	$(BIN)/python example_project/demo_check.py --serve $(ARGS)

test-example: $(STAMP)  ## the example project's black-box tests (SQLite unless DATABASE_URL is set)
	cd example_project && $(abspath $(BIN))/python -m pytest $(ARGS)

test-example-postgres: $(STAMP)  ## the example project's tests on the local PostgreSQL
	cd example_project && DATABASE_URL=postgres://postgres@127.0.0.1:5432/example \
		$(abspath $(BIN))/python -m pytest $(ARGS)

# Debian's Chromium, driven by Playwright (no browser download): installed here when missing and
# root, otherwise the tests say how to install it and skip (under CI they fail instead).
test-browser: $(STAMP)  ## the example project's browser tests: Swagger UI, ReDoc, admin (Chromium)
	@if command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	else \
		echo "Chromium is missing: run 'sudo apt-get install chromium chromium-driver'" \
			"(Debian/Ubuntu) or set CHROMIUM_PATH to a Chromium or Chrome binary."; \
	fi
	cd example_project && $(abspath $(BIN))/python -m pytest -m browser tests/browser $(ARGS)

# -- The integrator's contract, against a throwaway example server (fresh SQLite, free port) ------
test-contract: $(STAMP)  ## schemathesis: every operation, all checks, stateful links (0 failures)
	$(BIN)/python example_project/contract/run.py $(ARGS)

CLIENTS_TS := example_project/clients/typescript

test-clients: $(STAMP)  ## Python and TypeScript clients generated from openapi.yaml run the whole flow
	npm ci --prefix $(CLIENTS_TS) --no-audit --no-fund --loglevel=error
	$(BIN)/python example_project/clients/run.py $(ARGS)

test-guide: $(STAMP)  ## the integrator guide's code (curl, Python, JavaScript) against a live server
	@for tool in curl jq node; do command -v $$tool >/dev/null && continue; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl jq nodejs; break; \
		else echo "$$tool is missing: install curl, jq and Node.js"; exit 1; fi; done
	npm ci --prefix $(CLIENTS_TS) --no-audit --no-fund --loglevel=error
	$(BIN)/python example_project/guide/run.py $(ARGS)

schema: $(STAMP)  ## regenerate example_project/openapi.yaml (the golden OpenAPI file) and validate it
	$(MANAGE) spectacular --validate --fail-on-warn --file example_project/openapi.yaml

schema-check: $(STAMP)  ## validate the example project's OpenAPI schema (fails on any warning)
	$(MANAGE) spectacular --validate --fail-on-warn --file /dev/null

# -- Benchmarks (benchmarks/README.md): PostgreSQL (databases bench*), Redis db 14, wrk ---------
BENCH_STAMP := $(VENV)/.bench-installed
BENCH_NAME ?= bench-$(shell date -u +%Y-%m-%d)
BENCH_NOTE ?=

$(BENCH_STAMP): $(STAMP) benchmarks/requirements.txt
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	touch $(BENCH_STAMP)

# wrk, the load generator (Debian package): installed here when missing and root.
wrk:
	@if command -v wrk >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	else \
		echo "wrk is missing: run 'sudo apt-get install wrk' (Debian/Ubuntu)."; exit 1; \
	fi

bench-secrets: $(STAMP)  ## secret checks vs PBKDF2 side by side; fails below 1,000x or on an oracle
	$(BIN)/python benchmarks/secret_verification.py $(ARGS)

bench-auth: $(STAMP)  ## authentication per request: one-query join vs ORM fallback (no assertion)
	$(BIN)/python benchmarks/authentication.py $(ARGS)

bench: $(BENCH_STAMP) wrk  ## every benchmark (~15 min); results in benchmarks/results/$(BENCH_NAME).md/.png
	$(BIN)/python benchmarks/secret_verification.py
	$(BIN)/python benchmarks/authentication.py --database-url postgres://postgres@127.0.0.1:5432/bench_auth
	$(BIN)/python benchmarks/endpoints.py
	$(BIN)/python benchmarks/token_paths.py
	$(BIN)/python benchmarks/scale.py
	$(BIN)/python benchmarks/mixed_load.py --expect-json-503
	$(BIN)/python benchmarks/report.py --name $(BENCH_NAME) --note "$(BENCH_NOTE)"

bench-smoke: $(BENCH_STAMP) wrk  ## every benchmark very briefly (~2 min): they run; no time asserted
	$(BIN)/python -m pytest -q -p no:cacheprovider benchmarks/tests
	$(BIN)/python benchmarks/secret_verification.py
	$(BIN)/python benchmarks/authentication.py --rounds 2 --samples 2 --number 20
	$(BIN)/python benchmarks/endpoints.py --smoke --output endpoints-smoke
	$(BIN)/python benchmarks/token_paths.py --smoke --output token_paths-smoke
	$(BIN)/python benchmarks/scale.py --smoke --output scale-smoke
	$(BIN)/python benchmarks/mixed_load.py --smoke --output mixed_load-smoke --expect-json-503
	$(BIN)/python benchmarks/report.py --smoke --name smoke

# -- Translations: django_app_delegation/locale/<language>/LC_MESSAGES/django.po and .mo -----------
# GNU gettext (xgettext, msgmerge, msgfmt) from Debian: installed here when missing and root.
# `python -P`: the package folder is not put on sys.path (its secrets.py would hide the stdlib's).
LANGUAGES ?= fr
MAKEMESSAGES_OPTIONS := --add-location=file --no-obsolete
.PHONY: gettext messages compilemessages messages-check

gettext:
	@if command -v msgfmt >/dev/null && command -v xgettext >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext; \
	else \
		echo "GNU gettext is missing: run 'sudo apt-get install gettext' (Debian/Ubuntu)."; exit 1; \
	fi

messages: $(STAMP) gettext  ## extract the package's messages into its catalogues (then translate them)
	cd django_app_delegation && $(abspath $(BIN))/python -P -m django makemessages \
		$(foreach language,$(LANGUAGES),--locale $(language)) $(MAKEMESSAGES_OPTIONS)

compilemessages: $(STAMP) gettext  ## compile the catalogues (.po) into the .mo files shipped in the wheel
	cd django_app_delegation && $(abspath $(BIN))/python -P -m django compilemessages

messages-check: $(STAMP) gettext  ## fail on messages missing, untranslated, fuzzy or not compiled
	$(BIN)/python .ci/check_messages.py

typecheck: $(STAMP)  ## mypy with the Django and DRF plugins (through tox: its own stubs)
	$(TOX) -e typing
