# Two commands do all the set-up on a fresh machine:
#   make run    serve the registry on the embedded PostGIS, with a demo commune
#   make test   lint, type-check and run the whole suite against a fresh PostGIS database
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help setup settings db migrate load demo run test lint typecheck pytest bench bench-smoke soak clean-db

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WORKERS ?= 2
THREADS ?= 4
DEMO ?= 1
export PORT WORKERS THREADS
# With no DATABASE_URL the CLI and the server use the embedded cluster (scripts/embedded-pg.sh).
EMBEDDED := $(if $(DATABASE_URL),,1)
FLASK := $(BIN)/flask --app wsgi

help:
	@echo "make run   - serve the registry on http://127.0.0.1:$(PORT) (embedded PostGIS, demo data)"
	@echo "             and its open data (OGC API - Features) on http://127.0.0.1:$${OPENDATA_PORT:-8001}"
	@echo "make test  - ruff, mypy --strict and the pytest suite on a fresh PostGIS database"
	@echo "make bench - benchmarks (BENCH_N rows, default 1,000,000)"

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt scripts/apt-packages.txt
	bash scripts/setup-system.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

# The field app's libraries (package-lock.json, exact versions), served from /field/vendor/.
# Debian's nodejs comes without npm (NodeSource's has it): install Debian's npm only then.
node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	@command -v npm >/dev/null || bash scripts/setup-system.sh npm
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.installed

db: setup
	@if [ -n "$(EMBEDDED)" ]; then bash scripts/embedded-pg.sh start && bash scripts/embedded-pg.sh createdb registry; \
	else $(BIN)/python -c "import sqlalchemy as s; s.create_engine('$(DATABASE_URL)').connect().close()"; fi

# The settings the server and every CLI command share (api/core/config.py reads them).
SETTINGS := var/registry.env

settings: setup
	@bash scripts/ensure-redis.sh
	@bash scripts/settings.sh $(SETTINGS)

var/demo_password:
	@mkdir -p var && $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(48))" > $@ && chmod 600 $@

migrate: db settings
	@$(FLASK) db upgrade

load: migrate
	@$(FLASK) admin-units load $(foreach f,$(REGISTRY_BOUNDARIES),--boundaries $(f))

demo: load var/demo_password
	@if [ "$(DEMO)" != "0" ]; then DEMO_PASSWORD=$$(cat var/demo_password) $(FLASK) demo seed; fi

run: demo
	@$(FLASK) maintenance run
	@bash scripts/opendata.sh start $$PPID
	@echo "Serving on http://127.0.0.1:$(PORT)  (API docs: http://127.0.0.1:$(PORT)/docs)"
	@echo "dashboard: http://127.0.0.1:$(PORT)/dashboard/"
	@exec bash scripts/serve.sh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

pytest: setup
	@if [ -z "$$TEST_DATABASE_URL" ]; then bash scripts/embedded-pg.sh start; fi
	@if [ -z "$$TEST_REDIS_URL" ]; then bash scripts/ensure-redis.sh; fi
	$(BIN)/pytest -q

test: lint typecheck pytest bench-smoke

# The benchmarks run on a throwaway PostgreSQL cluster of their own (bench/cluster.py).
# BENCH_N rows (default 1,000,000); BENCH_BOUNDARIES=FILE spreads them over commune polygons.
bench: setup
	$(BIN)/python -m bench.run

# A tiny bench (3,000 rows, seconds) inside `make test`, so that the bench keeps working.
bench-smoke: setup
	$(BIN)/python -m bench.run --smoke

# Ten minutes of mixed traffic on its own cluster, Redis and the server of `make run` (not in `make test`):
# worker RSS, database connections and errors -> bench/results/soak.json, docs/soak.png.
soak: setup
	$(BIN)/python -m bench.soak

clean-db:
	bash scripts/embedded-pg.sh stop || true
	rm -rf var/pg var/run

# Backups with pgBackRest (scripts/backup.sh; README "Backups"): of the embedded cluster, or of
# a server of yours with BACKUP_PGDATA set. `make backup TYPE=full`, `make restore-drill TARGET=TIME`.
.PHONY: backup-setup backup backup-info restore-drill
backup-setup: db
	@bash scripts/backup.sh setup

backup:
	@bash scripts/setup-system.sh
	@bash scripts/backup.sh backup $(or $(TYPE),incr)

backup-info:
	@bash scripts/setup-system.sh
	@bash scripts/backup.sh info

restore-drill:
	@bash scripts/setup-system.sh
	@bash scripts/backup.sh drill $(if $(TARGET),--target "$(TARGET)")
