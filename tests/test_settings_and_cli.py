"""Configuration from LINZHI_* variables, the health check, and the CLI on a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from tortoise import connections
from tortoise.context import TortoiseContext

from api.settings import ConfigurationError, Settings
from domain.db import is_postgres, tortoise_config
from tests.conftest import _free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_are_safe_for_a_laptop() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.database_url.startswith("sqlite://data/")
    assert settings.graphiql
    assert not settings.is_production


def test_variables_override_defaults() -> None:
    settings = Settings.from_env(
        {"LINZHI_PORT": "9001", "LINZHI_HOST": "0.0.0.0", "LINZHI_DATABASE_URL": "postgres://x/y"}
    )
    assert (settings.port, settings.host, settings.database_url) == (9001, "0.0.0.0", "postgres://x/y")


def test_production_requires_a_secret_key_and_hides_graphiql() -> None:
    with pytest.raises(ConfigurationError):
        Settings.from_env({"LINZHI_ENV": "production"})
    settings = Settings.from_env(
        {"LINZHI_ENV": "production", "LINZHI_SECRET_KEY": "s" * 40, "LINZHI_AUDIT_KEY": "a" * 40}
    )
    assert not settings.graphiql
    assert not settings.introspection


async def test_health_check_reports_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def _cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LINZHI_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )


def test_migrate_then_seed_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/cli.sqlite3"
    _cli("migrate", database_url=url)
    _cli("migrate", database_url=url)
    first = _cli("seed", database_url=url)
    second = _cli("seed", database_url=url)
    assert first.stdout != second.stdout
    import sqlite3

    with sqlite3.connect(tmp_path / "cli.sqlite3") as conn:
        cells, households = conn.execute("SELECT COUNT(*), MAX(households) FROM grid_cell").fetchone()
    assert cells > 5000
    assert 220_000 <= households <= 240_000


async def test_production_hides_the_schema_but_keeps_typename(db: None) -> None:
    from api.app import create_app

    settings = Settings.for_tests().with_(introspection=False, graphiql=False)
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        hidden = await client.post("/graphql", json={"query": "{ __schema { types { name } } }"})
        typed = await client.post("/graphql", json={"query": '{ __type(name: "GridCell") { name } }'})
        typename = await client.post("/graphql", json={"query": "{ __typename }"})
        ide = await client.get("/graphql", headers={"accept": "text/html"})
    assert "自省" in hidden.json()["errors"][0]["message"]
    assert "自省" in typed.json()["errors"][0]["message"]
    assert typename.json() == {"data": {"__typename": "Query"}}
    assert ide.status_code == 404


def _served_log(tmp_path: Path, **env: str) -> str:
    """What `linzhi serve` prints while answering one request."""
    port = _free_port()
    database = f"sqlite://{tmp_path}/linzhi.sqlite3"
    environ = {**os.environ, "LINZHI_DATABASE_URL": database, **env}
    subprocess.run([sys.executable, "-m", "api.cli", "migrate"], env=environ, check=True, capture_output=True)
    log = tmp_path / f"serve-{port}.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}")
        finally:
            server.terminate()
            server.wait(timeout=10)
    return log.read_text()


def test_the_access_log_is_on_by_default_and_can_be_turned_off(tmp_path: Path) -> None:
    assert Settings.from_env({}).access_log
    assert "GET /healthz" in _served_log(tmp_path)
    quiet = _served_log(tmp_path, LINZHI_ACCESS_LOG="off")
    assert "Application startup complete" in quiet
    assert "GET /healthz" not in quiet


async def test_the_app_connects_to_postgresql_with_generic_plans(database_url: str) -> None:
    # GIVEN the configuration the app, the CLI and the benchmark build from a database URL
    config = tortoise_config(database_url)
    if not is_postgres(database_url):
        # SQLite has no session settings: the URL is used as it is
        assert config["connections"]["default"] == database_url
        return
    # WHEN a connection is opened with it
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        rows = await connections.get("default").execute_query_dict("SHOW plan_cache_mode")
        jit = await connections.get("default").execute_query_dict("SHOW jit")
    # THEN PostgreSQL plans every prepared statement once (docs/performance.md), without JIT
    assert rows == [{"plan_cache_mode": "force_generic_plan"}]
    assert jit == [{"jit": "off"}]
