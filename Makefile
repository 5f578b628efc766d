# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
HOST ?= 127.0.0.1:8000

.PHONY: run test lint types check pytest lock deps migrate clean

$(VENV)/.synced: requirements.lock
	@command -v uv >/dev/null || python3 -m pip install --quiet --disable-pip-version-check uv
	uv venv --quiet --allow-existing --python 3.11 $(VENV)
	uv pip sync --quiet --python $(PY) requirements.lock
	@touch $@

deps: $(VENV)/.synced

## Serve the portal with demo data on http://127.0.0.1:8000 (SQLite, tasks in-process by default).
run: migrate
	$(PY) manage.py seed_demo
	@mkdir -p .run/broker
	@# One local Celery worker with beat runs the periodic jobs; it stops with the server.
	$(VENV)/bin/celery -A portal worker --beat --pool=solo --loglevel=warning \
		--logfile=.run/worker.log & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST)

migrate: deps
	$(PY) manage.py migrate --noinput
	$(PY) manage.py migrate --noinput --database keys

## Lint, types and the whole suite.
test: lint types check pytest

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: deps
	$(VENV)/bin/mypy .

check: deps
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run

pytest: deps
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## Re-resolve the dependencies after editing pyproject.toml.
lock:
	uv lock
	@# Every dependency group (dev, bench) goes into the lock: `uv export` alone takes only dev.
	uv export --all-groups --format requirements-txt --no-emit-project --no-header -o requirements.lock

clean:
	rm -rf $(VENV) db.sqlite3 keys.sqlite3
