# The two commands of the README: `make demo` and `make test`. Everything else they need is
# installed here (uv from PyPI, then the locked dependencies).
SHELL := /bin/bash
PERSONS ?= 50000
SEED ?= 1
DEMO := demo
UV := python3 -m uv
PG_VERSION := $(shell ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)

.PHONY: demo test lint install install-dev uv postgres bench clean

uv:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==0.13.8"

install: uv
	$(UV) sync --frozen --no-dev

install-dev: uv
	$(UV) sync --frozen --all-extras

## The main job: synthetic sources -> register (SQLite) -> desk users -> self-contained report.
demo: install
	rm -rf $(DEMO)
	$(UV) run --no-sync sijill demo --persons $(PERSONS) --seed $(SEED) --out $(DEMO)

## Start the local PostgreSQL when it is down (the tests use it).
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $(PG_VERSION) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; \
	  echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1

## The test suite, on SQLite and on the real PostgreSQL, the Spark parity test included.
test: install-dev postgres
	$(UV) run --no-sync pytest

lint: install-dev
	$(UV) run --no-sync ruff check src tests bench
	$(UV) run --no-sync mypy

bench: install-dev postgres
	$(UV) run --no-sync python bench/synth.py
	$(UV) run --no-sync python bench/names.py
	$(UV) run --no-sync python bench/ingest.py
	$(UV) run --no-sync python bench/linkage.py
	$(UV) run --no-sync python bench/febrl.py

clean:
	rm -rf $(DEMO) .pytest_cache .mypy_cache .ruff_cache
