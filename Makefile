# 邻治 Linzhi. `make run` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
UV_VERSION := 0.13.8
PY ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --frozen
export LINZHI_HOST ?= 127.0.0.1
export LINZHI_PORT ?= 8000

.PHONY: run test install install-dev migrate seed serve lint typecheck pytest schema bench clean

$(UV):
	$(PY) -m venv .tools && .tools/bin/pip install --quiet uv==$(UV_VERSION)

install: $(UV)
	$(UV) sync --frozen --no-dev

install-dev: $(UV)
	$(UV) sync --frozen

migrate: install
	$(RUN) linzhi migrate

seed: migrate
	$(RUN) linzhi seed

run: seed
	$(RUN) linzhi serve --host $(LINZHI_HOST) --port $(LINZHI_PORT)

lint: install-dev
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: install-dev
	$(RUN) mypy

pytest: install-dev
	$(RUN) pytest

test: lint typecheck pytest

schema: install-dev
	$(RUN) linzhi export-schema --output api/schema.graphql

clean:
	rm -rf .venv .tools data test-artifacts
