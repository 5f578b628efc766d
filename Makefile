# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
HOST ?= 127.0.0.1:8000
DEMO_DOWNSTREAM_PORT ?= 8001

.PHONY: run test lint types check pytest lock deps migrate clean bench bench-smoke bench-load

$(VENV)/.synced: requirements.lock
	@command -v uv >/dev/null || python3 -m pip install --quiet --disable-pip-version-check uv
	uv venv --quiet --allow-existing --python 3.11 $(VENV)
	uv pip sync --quiet --python $(PY) requirements.lock
	@touch $@

# axe-core, which the browser tests run on every page they visit (package.json pins it).
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json
	npm install --silent
	@touch $@

deps: $(VENV)/.synced

## Serve the portal with demo data on http://127.0.0.1:8000 (SQLite, tasks in-process by default).
run: deps
	@# A developer's `make migrate` lists every migration; the demo says one line instead.
	@echo "Bringing the databases up to date..."
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py migrate --noinput -v 0 --database keys
	@mkdir -p .run/broker
	@# Links in e-mails point at this server unless the environment or .env names another.
	@# The demo's e-mails (a month of history, approval links among them) are files in
	@# .run/mail/ rather than MIME on the console, unless EMAIL_URL names another way.
	@# filemail:// takes the path after its third slash: four make it absolute.
	@# One local Celery worker with beat runs the periodic jobs; it stops with the server.
	@# The seed's summary and the staff sign-ins are printed once the server answers, so
	@# that they come last, after the server's own banner.
	@# A local scim2-server stands in for Slack, so the connector pages have accounts to show.
	@grep -qs '^PORTAL_BASE_URL=' .env || export PORTAL_BASE_URL=$${PORTAL_BASE_URL:-http://$(HOST)}; \
	grep -qs '^EMAIL_URL=' .env || export EMAIL_URL=$${EMAIL_URL:-filemail:///$(CURDIR)/.run/mail}; \
	$(VENV)/bin/scim2-server --port $(DEMO_DOWNSTREAM_PORT) --bearer-token demo-downstream-token \
		> .run/downstream.log 2>&1 & downstream=$$!; \
	trap 'kill $$downstream $$worker 2>/dev/null' EXIT INT TERM; \
	for _ in $$(seq 1 40); do \
		(exec 3<>/dev/tcp/127.0.0.1/$(DEMO_DOWNSTREAM_PORT)) 2>/dev/null && break; sleep 0.25; \
	done; \
	echo "Seeding the demo: a month of history, about a minute..."; \
	LOG_LEVEL=ERROR $(PY) manage.py seed_demo --history-days 30 \
		--downstream http://127.0.0.1:$(DEMO_DOWNSTREAM_PORT)/v2 > .run/seed.log 2>&1 \
		|| { cat .run/seed.log; exit 1; }; \
	$(VENV)/bin/celery -A portal worker --beat --pool=solo --loglevel=warning \
		> .run/worker.log 2>&1 & worker=$$!; \
	( for _ in $$(seq 1 120); do \
		(exec 3<>/dev/tcp/$(subst :,/,$(HOST))) 2>/dev/null && break; sleep 0.5; \
	done; echo; cat .run/seed.log ) & \
	$(PY) manage.py runserver $(HOST)

migrate: deps
	$(PY) manage.py migrate --noinput
	$(PY) manage.py migrate --noinput --database keys

## Lint, types, the whole suite, and the bench's smoke run (on PostgreSQL only).
test: lint types check pytest
	@case "$${DATABASE_URL:-}" in \
	  postgres://*|postgresql://*) $(MAKE) --no-print-directory bench-smoke ;; \
	  *) echo "bench-smoke skipped: the bench needs PostgreSQL and DATABASE_URL is not a postgres:// URL" ;; \
	esac

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

types: deps
	$(VENV)/bin/mypy .

check: deps
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run

pytest: deps $(AXE)
	$(VENV)/bin/pytest -m "not faults" $(PYTEST_ARGS)
	@# The fault scenarios start, kill and stop brokers and workers of their own: they run in a
	@# process of their own, apart from the session's worker the other tests share.
	$(VENV)/bin/pytest -m faults $(PYTEST_ARGS)

## The SCIM benchmark (docs/benchmarks.md): 100,000 users, portal vs django-scim2 vs a bare
## Django view, under 20 minutes on 2 cores. It replaces the persons and groups of the
## database in DATABASE_URL with bench data, and refuses one that holds anyone else.
## Then an access review's start at 100,000 items, in databases of its own (_bench_review).
bench: deps
	$(PY) -m bench.run
	$(PY) -m bench.review_start 100000

## The same with 1,000 users, in databases of its own (named after the configured ones
## plus _bench_smoke), so that `make test` never touches a developer's data.
bench-smoke: deps
	$(PY) -m bench.run --smoke --no-docs --database-suffix _bench_smoke

## Ten minutes of SCIM writes at 20 a second, shaped like Entra ID's and Okta's, with HR
## working in the admin alongside, against gunicorn, a Celery worker with beat, Redis and a
## downstream scim2-server; in databases of its own (*_idp_load, dropped and created again).
## Writes bench/results/idp_load/ and its section of docs/benchmarks.md.
bench-load: deps
	$(PY) -m bench.idp_load --minutes 10 --rate 20

## Re-resolve the dependencies after editing pyproject.toml.
lock:
	uv lock
	@# Every dependency group (dev, bench) goes into the lock: `uv export` alone takes only dev.
	uv export --all-groups --format requirements-txt --no-emit-project --no-header -o requirements.lock

clean:
	rm -rf $(VENV) db.sqlite3 keys.sqlite3 var .run
