# 邻治 Linzhi. `make run` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
UV_VERSION := 0.13.8
PY ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
BIN := .venv/bin
export LINZHI_HOST ?= 127.0.0.1
export LINZHI_PORT ?= 8000

.PHONY: run test install install-dev migrate seed lint typecheck pytest audit-deps schema clean bench bench-peer bench-writes

# uv itself, pinned, when the machine has none.
.tools/bin/uv:
	$(PY) -m venv .tools && .tools/bin/pip install --quiet uv==$(UV_VERSION)

# --inexact: serving must not uninstall the test tools of a developer's environment.
install: $(UV)
	$(UV) sync --frozen --no-dev --inexact

install-dev: $(UV)
	$(UV) sync --frozen

migrate: install
	$(BIN)/linzhi migrate

seed: migrate
	$(BIN)/linzhi seed

run: seed
	@echo "邻治 Linzhi: http://$(LINZHI_HOST):$(LINZHI_PORT)/ — 登录 http://$(LINZHI_HOST):$(LINZHI_PORT)/signin"
	@echo "演示账号（仅限开发）与其密码见 README.md 的“演示账号”一节，例如 demo.bureau、demo.leader。"
	$(BIN)/linzhi serve --host $(LINZHI_HOST) --port $(LINZHI_PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

# Two workers (pytest-xdist) for the two cores CI has: each worker has its own PostgreSQL test
# database, SQLite databases are per test, live servers pick free ports. PYTEST_WORKERS=0 runs in one
# process.
PYTEST_WORKERS ?= 2
pytest: install-dev audit-deps
	$(BIN)/pytest -n $(PYTEST_WORKERS)

# The graphql-http audit suite (tests/api/test_transport.py runs it against a live server).
audit-deps: tests/api/audit/node_modules/.package-lock.json

tests/api/audit/node_modules/.package-lock.json: tests/api/audit/package-lock.json
	npm ci --prefix tests/api/audit --no-audit --no-fund
	touch $@

test: lint typecheck pytest

schema: install-dev
	$(BIN)/linzhi export-schema --output api/schema.graphql

clean:
	rm -rf .venv .tools data test-artifacts tests/api/audit/node_modules

# Benchmarks (issue 5): SCALE=S|M|L, BENCH_DATABASE_URL (default: SQLite data/bench_s.sqlite3 for S,
# data/bench_<scale>.sqlite3 otherwise), BENCH_ARGS for bench.run (--duration, --ops, --workers ...).
bench: install-dev
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@scale=$${SCALE:-S}; low=$$(echo $$scale | tr A-Z a-z); \
	url=$${BENCH_DATABASE_URL:-sqlite://data/bench_$$low.sqlite3}; \
	if [[ $$url == sqlite://* ]] && [ ! -f "$${url#sqlite://}" ]; then \
		$(BIN)/python -m bench.generate --scale $$scale --database-url $$url; \
	elif [[ $$url == postgres* ]] && [ -n "$$BENCH_GENERATE" ]; then \
		$(BIN)/python -m bench.generate --scale $$scale --database-url $$url --reset; \
	fi; \
	$(BIN)/python -m bench.run --database-url $$url $(BENCH_ARGS)

# PostGraphile 5.1.5 side by side with Linzhi and the floor (issue 16), PostgreSQL only:
# BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/linzhi_bench_s, which must exist),
# BENCH_GENERATE=1 to (re)load it at SCALE, BENCH_ARGS for bench.peer (--rounds, --duration, --ops ...).
# PostGraphile and Node 22 come from npm: bench.peer runs `npm ci` in bench/peer when node_modules is missing.
bench-peer: install-dev
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@url=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/linzhi_bench_s}; \
	if [ -n "$$BENCH_GENERATE" ]; then \
		$(BIN)/python -m bench.generate --scale $${SCALE:-S} --database-url $$url --reset; \
	fi; \
	$(BIN)/python -m bench.peer --database-url $$url $(BENCH_ARGS)

# Writes and pages against their floors (issue 16), PostgreSQL only: BENCH_WRITES_URL, and
# BENCH_WRITES_ARGS for bench.writes (--ops w1,p1,p2 --rounds --duration --floor-lock global ...).
BENCH_WRITES_URL ?= postgres://postgres@127.0.0.1:5432/linzhi_bench_w
bench-writes: install-dev
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.writes --database-url $(BENCH_WRITES_URL) $(BENCH_WRITES_ARGS)
