"""Migrations are the only way the schema changes: they must match the models and apply cleanly
on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as run_migrations
from tortoise.migrations.autodetector import MigrationAutodetector

from domain import sql
from domain.activities import rollup
from domain.activities.models import Activity, ActivityMonthCount, ActivityStatus, ActivityType, location
from domain.audit import service as audit_service
from domain.db import tortoise_config
from domain.grids.models import GridCell, path_segment
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
    assert {"grid_cell", "person", "table_version", "tortoise_migrations"} <= tables


@contextmanager
def _empty_database(database: str, tmp_path: Path) -> Iterator[str]:
    if database == "sqlite":
        yield f"sqlite://{tmp_path}/m.sqlite3"
        return
    name = f"linzhi_migrate_{uuid.uuid4().hex[:10]}"
    base = POSTGRES_URL.rsplit("/", 1)[0]
    admin = f"{base}/postgres"
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    try:
        yield f"{base}/{name}"
    finally:
        subprocess.run(
            ["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
            check=True,
            capture_output=True,
        )


@dataclass
class _OldCell:
    id: int
    path: str


@dataclass
class _OldTree:
    town: _OldCell
    community: _OldCell
    grid: _OldCell
    micro_grids: list[_OldCell]


async def _old_tree() -> _OldTree:
    """平湖市 > 当湖街道 > 南河头社区 > 第1网格 > 1幢, in the grid_cell columns every migration since
    0001 has (today's model may have more, which an old schema cannot take)."""
    rows = [
        ("CITY", "330482", "平湖市"),
        ("TOWN", "330482001", "当湖街道"),
        ("COMMUNITY", "330482001005", "南河头社区"),
        ("GRID", "330482001005001", "第1网格"),
        ("MICRO_GRID", "33048200100500101", "1幢"),
    ]
    cells: list[_OldCell] = []
    for depth, (kind, code, name) in enumerate(rows):
        parent = cells[-1] if cells else None
        inserted = await sql.fetch_all(
            "INSERT INTO grid_cell (kind, code, name, parent_id, path, depth, households, retired, "
            "code_verified, is_demo, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, '', ?, 40, FALSE, TRUE, FALSE, ?, ?) RETURNING id",
            [kind, code, name, parent.id if parent else None, depth, datetime.now(UTC), datetime.now(UTC)],
        )
        cell_id = int(inserted[0]["id"])
        path = (parent.path if parent else "") + path_segment(cell_id)
        await sql.fetch_all("UPDATE grid_cell SET path = ? WHERE id = ? RETURNING id", [path, cell_id])
        cells.append(_OldCell(cell_id, path))
    return _OldTree(town=cells[1], community=cells[2], grid=cells[3], micro_grids=[cells[4]])


async def _insert_old_rows(rows: list[tuple[_OldCell, datetime, ActivityStatus, ActivityType]]) -> None:
    """Activity rows in the columns every migration since 0005 has (the model may have more)."""
    for place, started, status, kind in rows:
        columns = location(place.id, place.path)
        await sql.fetch_all(
            "INSERT INTO activity (author_user_id, cell_id, cell_path, town_id, unit_id, grid_id, "
            "activity_type, title, narrative, started_at, ended_at, place, participants, "
            "households_reached, problems, follow_up, status, is_demo, created_at, updated_at) "
            "VALUES (1, ?, ?, ?, ?, ?, ?, '迁移前的记录', '', ?, ?, '', 0, 0, '{}', '', ?, FALSE, ?, ?)",
            [
                *(columns[name] for name in ("cell_id", "cell_path", "town_id", "unit_id", "grid_id")),
                kind.value,
                started,
                started,
                status.value,
                started,
                started,
            ],
        )


async def _migrate_to(url: str, target: str | None = None) -> None:
    try:
        await run_migrations(config=tortoise_config(url), target=target)
    finally:
        await Tortoise.close_connections()


async def _no_audit(*_: object, **__: object) -> None:
    return None


@pytest.mark.parametrize("database", DATABASES)
async def test_the_monthly_rollup_is_backfilled_from_the_verified_records(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Today's models write audit rows with columns a database at 0005 lacks (0007 adds key_id);
    # the data below needs none.
    monkeypatch.setattr(audit_service, "record", _no_audit)
    EXECUTOR_CACHE.clear()  # INSERTs are cached per connection name, whatever the dialect
    with _empty_database(database, tmp_path) as url:
        # GIVEN a database at 0005 with verified records (one at 00:30 on Feb 1 in Shanghai, one
        # on the town cell, which belongs to no unit) and a submitted one
        await _migrate_to(url, "models.0005_activity_levels")
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            tree = await _old_tree()
            micro, february = tree.micro_grids[0], datetime(2026, 1, 31, 16, 30, tzinfo=UTC)
            rows = [
                (micro, february, ActivityStatus.VERIFIED),
                (micro, february, ActivityStatus.VERIFIED),
                (micro, february - timedelta(hours=1), ActivityStatus.VERIFIED),
                (tree.town, february, ActivityStatus.VERIFIED),
                (micro, february, ActivityStatus.SUBMITTED),
            ]
            await _insert_old_rows(
                [(place, started, status, ActivityType.VISIT) for place, started, status in rows]
            )
        # WHEN the remaining migrations run
        await _migrate_to(url)
        # THEN the rollup counts the unit's verified records in their Shanghai months
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            counts = await ActivityMonthCount.all().order_by("month").values_list("unit_id", "month", "n")
            assert [tuple(row) for row in counts] == [
                (tree.community.id, 202601, 1),
                (tree.community.id, 202602, 2),
            ]
            assert await rollup.differences() == 0


@pytest.mark.parametrize("database", DATABASES)
async def test_existing_verified_records_are_public_by_their_types_default(
    database: str, tmp_path: Path
) -> None:
    EXECUTOR_CACHE.clear()
    with _empty_database(database, tmp_path) as url:
        # GIVEN a database just before 0008 with verified records of a private and a public type,
        # and a submitted record of a public type
        await _migrate_to(url, "models.0007_audit_key_id")
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            tree = await _old_tree()
            micro, moment = tree.micro_grids[0], datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
            await _insert_old_rows(
                [
                    (micro, moment, ActivityStatus.VERIFIED, ActivityType.MEDIATION),
                    (micro, moment, ActivityStatus.VERIFIED, ActivityType.VISIT),
                    (micro, moment, ActivityStatus.VERIFIED, ActivityType.CULTURE_SPORTS),
                    (micro, moment, ActivityStatus.VERIFIED, ActivityType.DELIBERATION),
                    (micro, moment, ActivityStatus.SUBMITTED, ActivityType.CULTURE_SPORTS),
                ]
            )
        # WHEN the remaining migrations run
        await _migrate_to(url)
        # THEN the verified records of public types are public, the others not; no details are public
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            rows = await Activity.all().order_by("id").values_list("is_public", "details_public")
            assert [tuple(row) for row in rows] == [
                (False, False),
                (False, False),
                (True, False),
                (True, False),
                (False, False),
            ]


@pytest.mark.parametrize("database", DATABASES)
async def test_household_figures_that_sum_demo_cells_become_estimates(database: str, tmp_path: Path) -> None:
    EXECUTOR_CACHE.clear()
    with _empty_database(database, tmp_path) as url:
        # GIVEN a database just before 0010 with a real tree whose one micro-grid is generated
        await _migrate_to(url, "models.0009_training")
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            tree = await _old_tree()
            inserted = await sql.fetch_all(
                "INSERT INTO grid_cell (kind, code, name, parent_id, path, depth, households, retired, "
                "code_verified, is_demo, created_at, updated_at) VALUES ('MICRO_GRID', "
                "'33048200100500102', '2幢', ?, '', 4, 40, FALSE, TRUE, TRUE, ?, ?) RETURNING id",
                [tree.grid.id, datetime.now(UTC), datetime.now(UTC)],
            )
            demo_id = int(inserted[0]["id"])
            await sql.fetch_all(
                "UPDATE grid_cell SET path = ? WHERE id = ? RETURNING id",
                [tree.grid.path + path_segment(demo_id), demo_id],
            )
        # WHEN 0010 runs
        await _migrate_to(url)
        # THEN every figure that sums the generated cell is an estimate; the real leaf's is not
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            rows = await GridCell.all().order_by("code").values_list("code", "households_estimated")
            assert [tuple(row) for row in rows] == [
                ("330482", True),
                ("330482001", True),
                ("330482001005", True),
                ("330482001005001", True),
                ("33048200100500101", False),
                ("33048200100500102", True),
            ]


async def _old_account(username: str, mobile: str | None) -> None:
    """A person and their account in the columns both tables have at 0010."""
    now = datetime.now(UTC)
    person = await sql.fetch_all(
        "INSERT INTO person (name, mobile, is_demo, created_at) VALUES (?, ?, FALSE, ?) RETURNING id",
        [f"{username} 本人", mobile, now],
    )
    await sql.fetch_all(
        "INSERT INTO app_user (person_id, username, password_hash, is_active, is_app, is_demo, "
        "failed_attempts, created_at) VALUES (?, ?, NULL, TRUE, FALSE, FALSE, 0, ?) RETURNING id",
        [person[0]["id"], username, now],
    )


@pytest.mark.parametrize("database", DATABASES)
async def test_sign_in_mobiles_are_backfilled_except_a_shared_one(database: str, tmp_path: Path) -> None:
    from domain.accounts.models import User

    EXECUTOR_CACHE.clear()
    with _empty_database(database, tmp_path) as url:
        # GIVEN a database at 0010 where two accounts' people share a mobile
        await _migrate_to(url, "models.0010_households_estimated")
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            await _old_account("own.mobile", "13811112222")
            await _old_account("shared.one", "13933334444")
            await _old_account("shared.two", "13933334444")
            await _old_account("no.mobile", None)
            await _old_account("empty.mobile", "")
        # WHEN 0011 runs, THEN it does not fail
        await _migrate_to(url)
        # AND each account signs in by its own mobile; a shared one is left to none of them
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            rows = (
                await User.all()
                .order_by("username")
                .values_list("username", "mobile", "must_change_password")
            )
            assert [tuple(row) for row in rows] == [
                ("empty.mobile", None, False),
                ("no.mobile", None, False),
                ("own.mobile", "13811112222", False),
                ("shared.one", None, False),
                ("shared.two", None, False),
            ]


async def _old_grant(username: str, role: str, organisation_id: int | None) -> None:
    """A role grant in the columns role_assignment has at 0012 (an integer organisation_id)."""
    user = await sql.fetch_all("SELECT id FROM app_user WHERE username = ?", [username])
    await sql.fetch_all(
        "INSERT INTO role_assignment (user_id, role, organisation_id, granted_at) VALUES (?, ?, ?, ?) "
        "RETURNING id",
        [user[0]["id"], role, organisation_id, datetime.now(UTC)],
    )


@pytest.mark.parametrize("database", DATABASES)
async def test_grants_naming_a_bare_organisation_number_are_revoked(database: str, tmp_path: Path) -> None:
    from domain.accounts.models import RoleAssignment

    EXECUTOR_CACHE.clear()
    with _empty_database(database, tmp_path) as url:
        # GIVEN a database at 0012 with an organiser granted "组织编号 7" (an integer naming no
        # table) and a reviewer granted without an organisation
        await _migrate_to(url, "models.0012_organisations")
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            await _old_account("old.organiser", "13811112222")
            await _old_account("old.reviewer", "13811113333")
            await _old_grant("old.organiser", "ORGANISER", 7)
            await _old_grant("old.reviewer", "REVIEWER", None)
        # WHEN 0013 runs
        await _migrate_to(url)
        # THEN the organiser's grant is revoked and names no organisation (the number might now
        # be some real organisation's id); the reviewer's grant is untouched
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            rows = (
                await RoleAssignment.all()
                .order_by("role")
                .values_list("role", "organisation_id", "revoked_at")
            )
            assert [(role, org, revoked is not None) for role, org, revoked in rows] == [
                ("ORGANISER", None, True),
                ("REVIEWER", None, False),
            ]
