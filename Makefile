# Sispam: the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# Tests use the real parts on localhost unless told otherwise.
TEST_DATABASE_URL ?= postgres://root@127.0.0.1:5432/sispam
TEST_REDIS_URL ?= redis://127.0.0.1:6379/9
# The suite runs in two processes (pytest-xdist; each its own database and Redis database, see
# tests/workers.py), a test file to a process. TEST_WORKERS=0 runs it in one.
TEST_WORKERS ?= 2

.PHONY: run test fuzz install lint format messages check-deploy clean backup restore vendor

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)."; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@mkdir -p var
# The embedded default's database is its own SQLite file in var/, a demo whatever DEBUG says:
# seed_demo may run there even with DEBUG=0 (it refuses DEBUG off without --allow-production).
ifeq ($(strip $(DATABASE_URL)$(REDIS_URL)),)
	@echo "Embedded default: SQLite, eager Celery, in-memory channel layer (one process)."
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --allow-production
	$(PY) manage.py seed_situation
	@echo "Sispam: http://$(HOST):$(PORT)/  logins: komando, intel, lapangan, penghubung_kpu, admin"
	@echo "demo password: $${DEMO_PASSWORD:-sispam-demo-2024} (demo only)"
	$(VENV)/bin/uvicorn sispam.asgi:application --host $(HOST) --port $(PORT)
else
	@echo "Real stack: PostgreSQL, Redis, ASGI server, Celery worker and beat."
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) -m sispam.stack --host $(HOST) --port $(PORT)
endif

test: $(STAMP)
	@DATABASE_URL="$(TEST_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" bash scripts/ensure-services
	DATABASE_URL="$(TEST_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" DEBUG=1 \
		$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The long schema fuzz (tests/test_schema_fuzz.py): every role, 50 cases per operation and the
# coverage phase (boundary values, wrong JSON types). Takes many minutes; make test runs a short one.
FUZZ_EXAMPLES ?= 50
fuzz: $(STAMP)
	@DATABASE_URL="$(TEST_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" bash scripts/ensure-services
	DATABASE_URL="$(TEST_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" DEBUG=1 \
		FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_COVERAGE=1 FUZZ_ALL_ROLES=1 \
		$(PY) -m pytest tests/test_schema_fuzz.py -p no:timeout $(PYTEST_ARGS)

# Front-end libraries from npm, pinned in package.json / package-lock.json, copied into
# static/vendor/ (committed: make run and the tests need no npm). Run after changing a pin.
PIN = $(shell python3 -c "import json;print(json.load(open('package.json'))['devDependencies']['$(1)'])")
HTMX_VERSION := $(call PIN,htmx.org)
IDB_VERSION := $(call PIN,idb)
WORKBOX_VERSION := $(call PIN,workbox-core)
WORKBOX_PARTS := core routing strategies
vendor:
	npm ci --ignore-scripts --no-audit --no-fund
	mkdir -p static/vendor/htmx static/vendor/idb
	rm -f static/vendor/htmx/htmx-*.min.js static/vendor/idb/idb-*.js
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/htmx-$(HTMX_VERSION).min.js
	cp node_modules/htmx.org/LICENSE static/vendor/htmx/LICENSE
	cp node_modules/idb/build/umd.js static/vendor/idb/idb-$(IDB_VERSION).umd.js
	cp node_modules/idb/LICENSE static/vendor/idb/LICENSE
# The Workbox parts we use, served from our origin and loaded by templates/pwa/sw.js one by one.
# Not its loader (workbox-sw): that one names a CDN as where the parts come from.
	rm -rf static/vendor/workbox-*
	mkdir -p static/vendor/workbox-$(WORKBOX_VERSION)
# With their source maps: the files name them, and collectstatic's manifest needs them.
	for part in $(WORKBOX_PARTS); do \
		cp node_modules/workbox-$$part/build/workbox-$$part.prod.js \
			node_modules/workbox-$$part/build/workbox-$$part.prod.js.map \
			static/vendor/workbox-$(WORKBOX_VERSION)/; \
	done
	cp node_modules/workbox-core/LICENSE static/vendor/workbox-$(WORKBOX_VERSION)/LICENSE

# A backup of the database and the evidence files (core/backup.py; docs/operations-runbook.md).
backup: $(STAMP)
	$(PY) manage.py backup

# make restore FILE=var/backups/sispam-backup-....tar.gz (replaces the current data).
restore: $(STAMP)
	@test -n "$(FILE)" || { echo "usage: make restore FILE=path/to/sispam-backup-....tar.gz"; exit 2; }
	$(PY) manage.py restore "$(FILE)" --yes

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: $(STAMP)
	cd $(CURDIR) && $(PY) manage.py makemessages -l en --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages -l en --ignore=.venv

check-deploy: $(STAMP)
	DEBUG=0 SECRET_KEY=$$($(PY) -c "import secrets;print(secrets.token_urlsafe(64))") \
		ALLOWED_HOSTS=sispam.example DATABASE_URL=postgres://root@127.0.0.1/sispam \
		REDIS_URL=redis://127.0.0.1:6379/0 $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf var .pytest_cache
