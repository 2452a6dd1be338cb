# The two commands a new user needs: `make run` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
LOCK_HASH := $(shell (sha1sum requirements.lock 2>/dev/null || shasum requirements.lock) | cut -c1-12)
STAMP := $(VENV)/.installed-$(LOCK_HASH)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install migrate demo worker lint format bench bench-directory bench-workgroups bench-partnerships clean lock

run: install ## the quick start: SQLite, in-memory channel layer, demo data, Daphne on :8000
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py load_demo
	@HOST=$(HOST) PORT=$(PORT) scripts/serve

test: install ## the whole suite; PostgreSQL and Redis when reachable
	scripts/test

install: $(STAMP)

$(STAMP): requirements.lock
	@if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		py=$$(scripts/find-python) || exit 1; \
		echo "Creating $(VENV) with $$py"; rm -rf $(VENV); "$$py" -m venv $(VENV) || exit 1; \
	fi
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

worker: install ## the task worker (the quick start runs one beside Daphne)
	$(BIN)/python manage.py db_worker

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: bench-directory bench-workgroups bench-partnerships ## all benchmarks on PostgreSQL (see tests/bench/README.md)

bench-directory: install
	$(BIN)/python -m tests.bench.directory

bench-workgroups: install
	$(BIN)/python -m tests.bench.workgroups

bench-partnerships: install
	$(BIN)/python -m tests.bench.partnerships

lock: ## re-resolve requirements.lock from pyproject.toml
	scripts/lock

clean:
	rm -rf $(VENV) staticfiles .test-db.sqlite3*
