"""Migrations are the only way the schema changes: they must match the models and apply cleanly
on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from domain.db import tortoise_config
from tests.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[1]


async def test_models_have_no_changes_missing_from_migrations() -> None:
    config = tortoise_config("sqlite://:memory:")
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        assert ctx.apps is not None
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    assert [w.name for w in writers] == [], (
        "models changed without a migration: run `tortoise makemigrations`"
    )


def _migrate(url: str) -> None:
    env = {**os.environ, "LINZHI_DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "api.cli", "migrate"], env=env, cwd=ROOT, check=True, capture_output=True
    )


DATABASES = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


def _tables_after_migrating_sqlite(tmp_path: Path) -> set[str]:
    import sqlite3

    _migrate(f"sqlite://{tmp_path}/m.sqlite3")
    with sqlite3.connect(tmp_path / "m.sqlite3") as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _tables_after_migrating_postgres() -> set[str]:
    name = f"linzhi_migrate_{uuid.uuid4().hex[:10]}"
    base = POSTGRES_URL.rsplit("/", 1)[0]
    admin = f"{base}/postgres"
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    try:
        _migrate(f"{base}/{name}")
        return set(
            subprocess.run(
                [
                    "psql",
                    f"{base}/{name}",
                    "-Atc",
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
        )
    finally:
        subprocess.run(
            ["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True, capture_output=True
        )


@pytest.mark.parametrize("database", DATABASES)
def test_migrations_create_every_table(database: str, tmp_path: Path) -> None:
    tables = (
        _tables_after_migrating_sqlite(tmp_path)
        if database == "sqlite"
        else _tables_after_migrating_postgres()
    )
    assert {"grid_cell", "person", "tortoise_migrations"} <= tables
