"""Benchmark data: a deterministic territory, micro-leaders and activity log at a named scale.

    python -m bench.generate --scale S --database-url sqlite:///tmp/bench_s.sqlite3 [--seed N]

The schema comes from the project's own migrations, run on an EMPTY database (`--reset` empties it
first); the rows go into Linzhi's own tables, in bulk: `executemany` in one transaction on SQLite,
binary COPY on PostgreSQL, with explicit ids (sequences are moved past them afterwards). The
activity indexes are dropped during the load and recreated from their own definitions after it; the
monthly rollup of verified activities is then computed from the rows, before ANALYZE.
The one account, `bench.leader` (a MICRO_LEADER whose person is an enrolled leader homed in a
micro-grid of the first town), is created through the account service, so it is audited as usual.

Invariants kept by construction: codes follow `domain.grids.codes`; every cell's households is the
sum of its micro-grids' (20-100 each); every activity lies in its leader's home subtree with that
cell's path, started in the three years before ANCHOR, with valid type-specific fields.
Organisations and venture funding (three finished rounds with published results, one open round)
come from `bench.domains`, loaded the same way, after the leaders.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench import domains
from domain.activities.models import (
    ACTIVITY_TYPE_LABELS,
    LEVEL_COLUMNS,
    ActivityStatus,
    ActivityType,
    MediationOutcome,
    location,
    public_by_default,
)
from domain.activities.rollup import rebuild_statements
from domain.db import is_postgres, tortoise_config
from domain.grids.codes import GridKind
from domain.grids.models import path_segment
from domain.leaders.models import LeaderStatus, SourceRole
from seeds import pinghu
from seeds.generate import CYCLE, GIVEN_NAMES, HAMLETS, MOBILE_SECOND_DIGITS, SURNAMES

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
ANCHOR = datetime(2026, 11, 28, 12, 0, tzinfo=SHANGHAI)
YEARS = 3
DEFAULT_SEED = 20261128
CHUNK = 50_000
MICRO_HOUSEHOLDS = (20, 100)
BENCH_USERNAME = "bench.leader"
BENCH_PASSWORD = "Bench-Pass-2026"
BENCH_NAME = "沈基准"
AUTHOR_USER_ID = 1  # the bench account: the first user of the empty database

T = ActivityType
TYPE_WEIGHTS: dict[ActivityType, int] = {
    T.VISIT: 30,
    T.MEDIATION: 8,
    T.DELIBERATION: 6,
    T.PUBLICITY: 8,
    T.ENVIRONMENT: 10,
    T.SAFETY_CHECK: 12,
    T.VOLUNTEERING: 8,
    T.ERRAND: 8,
    T.CULTURE_SPORTS: 4,
    T.PROJECT_WORK: 2,
    T.EMERGENCY: 1,
    T.OTHER: 3,
}
TYPE_TABLE: tuple[ActivityType, ...] = tuple(t for t, w in TYPE_WEIGHTS.items() for _ in range(w))
STATUS_TABLE: tuple[ActivityStatus, ...] = (
    (ActivityStatus.VERIFIED,) * 90
    + (ActivityStatus.SUBMITTED,) * 5
    + (ActivityStatus.RETURNED,) * 3
    + (ActivityStatus.DRAFT,) * 2
)
OUTCOME_TABLE: tuple[MediationOutcome, ...] = (
    (MediationOutcome.RESOLVED,) * 6 + (MediationOutcome.PARTLY,) * 2 + (MediationOutcome.FAILED,)
) + (MediationOutcome.REFERRED,)
PARTICIPANTS: dict[ActivityType, tuple[int, int]] = {
    T.VISIT: (1, 14),
    T.MEDIATION: (2, 6),
    T.DELIBERATION: (8, 40),
    T.PUBLICITY: (15, 120),
    T.ENVIRONMENT: (4, 30),
    T.SAFETY_CHECK: (1, 4),
    T.VOLUNTEERING: (3, 25),
    T.ERRAND: (1, 5),
    T.CULTURE_SPORTS: (10, 80),
    T.PROJECT_WORK: (5, 40),
    T.EMERGENCY: (2, 30),
    T.OTHER: (3, 20),
}
PROBLEMS: dict[ActivityType, tuple[str, ...]] = {
    T.ENVIRONMENT: ('{"SANITATION":2}', '{"FACILITIES":1,"SANITATION":1}', "{}"),
    T.SAFETY_CHECK: ('{"FIRE":1}', '{"FIRE":2,"SECURITY":1}', '{"FACILITIES":1}', "{}"),
    T.VISIT: ('{"LIVELIHOOD":1}', "{}", "{}", "{}", "{}"),
    T.EMERGENCY: ('{"SECURITY":1}', '{"FACILITIES":2}'),
}
NARRATIVES: dict[ActivityType, str] = {
    T.VISIT: "入户走访，了解老人身体状况和日常生活需求，更新民情台账。",
    T.MEDIATION: "双方因生活琐事产生矛盾，本人分别做思想工作后组织当面沟通。",
    T.DELIBERATION: "组织居民代表围绕公共事务议事协商，形成初步方案。",
    T.PUBLICITY: "发放宣传资料，向居民讲解政策要点，现场解答问题。",
    T.ENVIRONMENT: "组织居民和志愿者清理卫生死角，整治乱堆乱放。",
    T.SAFETY_CHECK: "逐户检查消防通道和电动车充电情况，发现问题督促整改。",
    T.VOLUNTEERING: "带领志愿者开展便民服务。",
    T.ERRAND: "为行动不便的居民代办证件和缴费事项。",
    T.CULTURE_SPORTS: "组织邻里文体活动，增进邻里感情。",
    T.PROJECT_WORK: "按项目计划开展本期活动，完成进度记录和照片留存。",
    T.EMERGENCY: "接到情况后第一时间赶到现场，协助疏导居民，险情已排除。",
    T.OTHER: "完成本次工作，情况已记入民情台账。",
}
RETURN_REASON = "请补充参与人数和现场照片"


@dataclass(frozen=True)
class Scale:
    name: str
    towns: int
    units: int
    grids: int
    micro_grids: int
    leaders: int
    activities: int
    postgres_only: bool = False
    organisations: int = 2_000  # bench.domains
    applications: int = 150  # to each of the three finished funding rounds (a third to the open one)


SCALES: dict[str, Scale] = {
    "TINY": Scale("TINY", 2, 10, 50, 250, 200, 5_000, organisations=150, applications=30),
    "S": Scale("S", 9, 150, 1_500, 7_500, 5_000, 200_000),
    "M": Scale("M", 9, 150, 1_500, 7_500, 5_000, 2_000_000),
    "L": Scale("L", 9, 450, 10_000, 50_000, 20_000, 10_000_000, postgres_only=True, organisations=6_000),
    # L's grid tree, leaders and registry with S's activities: for the reads that never touch
    # `activity` (the organisation directory, funding results), in minutes rather than an hour
    "LR": Scale("LR", 9, 450, 10_000, 50_000, 20_000, 200_000, postgres_only=True, organisations=6_000),
}


# --- the rows -------------------------------------------------------------------------------


@dataclass(slots=True)
class Cell:
    id: int
    kind: GridKind
    code: str
    name: str
    parent_id: int | None
    path: str
    depth: int
    households: int = 0
    children: list[Cell] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Leader:
    id: int
    home_path: str
    subtree: tuple[tuple[int, str, int], ...]  # (cell id, path, households) of loggable cells


CELL_COLUMNS = [
    "id",
    "kind",
    "code",
    "name",
    "parent_id",
    "path",
    "depth",
    "households",
    "head_id",
    "retired",
    "code_verified",
    "is_demo",
    "created_at",
    "updated_at",
]
PERSON_COLUMNS = ["id", "name", "mobile", "resident_id", "is_demo", "created_at"]
COHORT_COLUMNS = ["id", "name", "year", "min_attendance_share", "min_hours", "is_demo", "created_at"]
LEADER_COLUMNS = [
    "id",
    "person_id",
    "cohort_id",
    "home_cell_id",
    "home_path",
    "source_role",
    "status",
    "nominated_at",
    "enrolled_at",
    "certified_at",
    "withdrawn_at",
    "status_reason",
    "is_demo",
]
ACTIVITY_COLUMNS = [
    "id",
    "author_user_id",
    "leader_id",
    "cell_id",
    "cell_path",
    "town_id",
    "unit_id",
    "grid_id",
    "activity_type",
    "title",
    "narrative",
    "started_at",
    "ended_at",
    "place",
    "participants",
    "households_reached",
    "problems",
    "mediation_outcome",
    "volunteer_hours",
    "follow_up",
    "project_id",
    "status",
    "return_reason",
    "submitted_at",
    "verified_at",
    "reviewed_by_user_id",
    "is_public",
    "details_public",
    "is_demo",
    "created_at",
    "updated_at",
]

LOADED_AT = ANCHOR.astimezone(UTC)


def _spread(rng: random.Random, total: int, bins: int, high: int) -> list[int]:
    """`total` shared over `bins` by random weight (largest remainder), each in 1..high."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(bins)]
    shares = [total * w / sum(weights) for w in weights]
    counts = [max(1, min(high, int(s))) for s in shares]
    order = sorted(range(bins), key=lambda i: counts[i] - shares[i])
    i = 0
    while sum(counts) != total:
        j = order[i % bins]
        step = 1 if sum(counts) < total else -1
        if 1 <= counts[j] + step <= high:
            counts[j] += step
        i += 1
    return counts


def build_tree(rng: random.Random, scale: Scale) -> list[Cell]:
    """Every cell, parents before children (pre-order), ids 1.. in that order."""
    cells: list[Cell] = []

    def add(kind: GridKind, code: str, name: str, parent: Cell | None) -> Cell:
        cell_id = len(cells) + 1
        path = (parent.path if parent else "") + path_segment(cell_id)
        cell = Cell(cell_id, kind, code, name, parent.id if parent else None, path, len(path) // 8 - 1)
        cells.append(cell)
        if parent:
            parent.children.append(cell)
        return cell

    city = add(GridKind.CITY, pinghu.CITY.code, pinghu.CITY.name, None)
    towns = pinghu.TOWNS[: scale.towns]
    units_per_town = _spread(rng, scale.units, len(towns), 399)
    grids_per_unit = iter(_spread(rng, scale.grids, scale.units, 999))
    micro_per_grid = iter(_spread(rng, scale.micro_grids, scale.grids, 99))
    stem_index = 0
    for division, unit_count in zip(towns, units_per_town, strict=True):
        town = add(GridKind.TOWN, division.code, division.name, city)
        communities = min(199, round(unit_count * 0.4))
        plan = [(GridKind.COMMUNITY, n) for n in range(1, communities + 1)]
        plan += [(GridKind.VILLAGE, 200 + n) for n in range(1, unit_count - communities + 1)]
        for kind, number in plan:
            stem_index += 1
            suffix = "社区" if kind is GridKind.COMMUNITY else "村"
            stem = CYCLE[stem_index % len(CYCLE)]
            lap = stem_index // len(CYCLE)
            unit = add(kind, f"{town.code}{number:03d}", f"{stem}{lap or ''}{suffix}", town)
            for g in range(1, next(grids_per_unit) + 1):
                grid = add(GridKind.GRID, f"{unit.code}{g:03d}", f"第{g}网格", unit)
                for m in range(1, next(micro_per_grid) + 1):
                    if kind is GridKind.COMMUNITY:
                        name = f"{stem}{g}区{m}幢"
                    else:
                        name = HAMLETS[(g * 7 + m) % len(HAMLETS)] + (f"{g}组" if g > 1 else "")
                    micro = add(GridKind.MICRO_GRID, f"{grid.code}{m:02d}", name, grid)
                    micro.households = rng.randint(*MICRO_HOUSEHOLDS)
    for cell in reversed(cells):  # children come after their parent: sum upwards
        if cell.children:
            cell.households = sum(child.households for child in cell.children)
    return cells


def cell_rows(cells: Sequence[Cell]) -> Iterator[tuple[Any, ...]]:
    for c in cells:
        is_demo = c.kind not in (GridKind.CITY, GridKind.TOWN)
        yield (
            c.id,
            c.kind.value,
            c.code,
            c.name,
            c.parent_id,
            c.path,
            c.depth,
            c.households,
            None,
            False,
            True,
            is_demo,
            LOADED_AT,
            LOADED_AT,
        )


def _local(day: str) -> datetime:
    return datetime.strptime(day, "%Y-%m-%d").replace(hour=9, tzinfo=SHANGHAI).astimezone(UTC)


COHORTS = (
    # id, name, year, nominated, enrolled; status shares
    (1, "基准第一期", 2024, _local("2024-01-10"), _local("2024-03-01")),
    (2, "基准第二期", 2026, _local("2026-01-12"), _local("2026-03-02")),
)


def cohort_rows() -> list[tuple[Any, ...]]:
    return [
        (cid, name, year, Decimal("0.800"), Decimal("30.0"), True, enrolled)
        for cid, name, year, _, enrolled in COHORTS
    ]


def _subtree(cell: Cell) -> list[Cell]:
    out = [cell]
    for child in cell.children:
        out += _subtree(child)
    return out


def build_leaders(
    rng: random.Random, scale: Scale, cells: Sequence[Cell]
) -> tuple[list[Leader], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Leaders (ids 1..n) and their persons (ids 1..n): persons rows, leader rows."""
    by_kind: dict[GridKind, list[Cell]] = {kind: [] for kind in GridKind}
    for cell in cells:
        by_kind[cell.kind].append(cell)
    units = by_kind[GridKind.COMMUNITY] + by_kind[GridKind.VILLAGE]
    leaders: list[Leader] = []
    persons: list[tuple[Any, ...]] = []
    rows: list[tuple[Any, ...]] = []
    for i in range(1, scale.leaders + 1):
        roll = rng.random()
        if roll < 0.75:
            role, home = SourceRole.MICRO_GRID_HEAD, rng.choice(by_kind[GridKind.MICRO_GRID])
        elif roll < 0.95:
            role, home = SourceRole.GROUP_LEADER, rng.choice(by_kind[GridKind.GRID])
        else:
            role, home = SourceRole.ORG_LEADER, rng.choice(units)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
        mobile = f"1{rng.choice(MOBILE_SECOND_DIGITS)}{rng.randrange(100)}{i:07d}"[:11]
        persons.append((i, name, mobile, None, True, LOADED_AT))
        cohort = 1 if i % 2 else 2
        _, _, _, nominated, enrolled = COHORTS[cohort - 1]
        status_roll = rng.random()
        certified = withdrawn = None
        reason = None
        enrolled_at: datetime | None = enrolled
        if cohort == 1:
            if status_roll < 0.85:
                status = LeaderStatus.CERTIFIED
                certified = enrolled + timedelta(days=rng.randint(150, 240))
            elif status_roll < 0.95:
                status, withdrawn, reason = LeaderStatus.WITHDRAWN, enrolled + timedelta(days=60), "工作调动"
            else:
                status = LeaderStatus.ENROLLED
        elif status_roll < 0.85:
            status = LeaderStatus.ENROLLED
        elif status_roll < 0.95:
            status, enrolled_at = LeaderStatus.NOMINATED, None
        else:
            status, withdrawn, reason = LeaderStatus.WITHDRAWN, enrolled + timedelta(days=30), "身体原因"
        nominated_at = nominated + timedelta(days=rng.randint(0, 30))
        rows.append(
            (
                i,
                i,
                cohort,
                home.id,
                home.path,
                role.value,
                status.value,
                nominated_at,
                enrolled_at,
                certified,
                withdrawn,
                reason,
                True,
            )
        )
        subtree = tuple((c.id, c.path, c.households) for c in _subtree(home))
        leaders.append(Leader(i, home.path, subtree))
    return leaders, persons, rows


def activity_chunks(
    rng: random.Random, leaders: Sequence[Leader], names: dict[int, str], total: int
) -> Iterator[list[tuple[Any, ...]]]:
    """Activities 1..total in chunks of CHUNK rows."""
    day_zero = ANCHOR.replace(hour=0, minute=0)
    days = [(day_zero - timedelta(days=d)).astimezone(UTC) for d in range(YEARS * 365 + 1)]
    minutes = [timedelta(minutes=m) for m in range(24 * 60)]
    titles = {t: ACTIVITY_TYPE_LABELS[t] for t in ActivityType}
    randrange, choice = rng.randrange, rng.choice
    leader_count = len(leaders)
    levels = {
        cell_id: tuple(location(cell_id, path)[column] for column in LEVEL_COLUMNS.values())
        for leader in leaders
        for cell_id, path, _ in leader.subtree
    }
    chunk: list[tuple[Any, ...]] = []
    for activity_id in range(1, total + 1):
        leader = leaders[randrange(leader_count)]
        cell_id, path, households = choice(leader.subtree)
        kind = choice(TYPE_TABLE)
        started = days[randrange(1, len(days))] + minutes[randrange(8 * 60, 20 * 60, 5)]
        ended = started + minutes[randrange(30, 181, 5)]
        low, high = PARTICIPANTS[kind]
        participants = randrange(low, high + 1)
        reached = min(households, randrange(1, 13)) if kind in (T.VISIT, T.SAFETY_CHECK) else 0
        outcome = choice(OUTCOME_TABLE).value if kind is T.MEDIATION else None
        hours = None
        if kind is T.VOLUNTEERING:
            hours = Decimal(randrange(1, (ended - started) // minutes[30] + 1)) / 2
        problems = choice(PROBLEMS[kind]) if kind in PROBLEMS else "{}"
        status = choice(STATUS_TABLE)
        created = ended + minutes[randrange(5, 600)]
        submitted = verified = None
        reason = None
        if status is not ActivityStatus.DRAFT:
            submitted = created
        if status is ActivityStatus.VERIFIED:
            verified = min(created + timedelta(hours=randrange(2, 72)), LOADED_AT)
        elif status is ActivityStatus.RETURNED:
            reason = RETURN_REASON
        place = names[cell_id]
        # public as the verifier's default leaves it; details public on every other public record
        # (no draw from `rng`, so the rest of the data is what it was)
        public = status is ActivityStatus.VERIFIED and public_by_default(kind)
        chunk.append(
            (
                activity_id,
                AUTHOR_USER_ID,
                leader.id,
                cell_id,
                path,
                *levels[cell_id],
                kind.value,
                f"{place}{titles[kind]}",
                NARRATIVES[kind],
                started,
                ended,
                place,
                participants,
                reached,
                problems,
                outcome,
                hours,
                "",
                None,
                status.value,
                reason,
                submitted,
                verified,
                None,
                public,
                public and activity_id % 2 == 0,
                True,
                created,
                verified or submitted or created,
            )
        )
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- the databases --------------------------------------------------------------------------


class Loader:
    """One bulk-loading connection: explicit-id inserts, index drop/recreate, ANALYZE."""

    async def open(self) -> None:
        raise NotImplementedError

    async def is_empty(self) -> bool:
        raise NotImplementedError

    async def reset(self) -> None:
        raise NotImplementedError

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    async def drop_indexes(self, table: str) -> list[str]:
        raise NotImplementedError

    async def execute(self, sql: str) -> None:
        raise NotImplementedError

    async def finish(self, tables: Sequence[str]) -> None:
        raise NotImplementedError

    async def count(self, table: str) -> int:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite://").split("?", 1)[0])


def _sqlite_value(value: datetime) -> str:
    return value.isoformat(" ")  # as Tortoise writes it


sqlite3.register_adapter(datetime, _sqlite_value)
sqlite3.register_adapter(date, date.isoformat)  # as Tortoise writes a DateField
sqlite3.register_adapter(Decimal, str)


def _remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class SqliteLoader(Loader):
    def __init__(self, url: str) -> None:
        self.path = sqlite_path(url)
        self.db: sqlite3.Connection | None = None
        self.journal_mode = "delete"

    @property
    def conn(self) -> sqlite3.Connection:
        assert self.db is not None
        return self.db

    async def open(self) -> None:
        self.db = sqlite3.connect(self.path, isolation_level=None)

    async def is_empty(self) -> bool:
        return not self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'").fetchone()

    async def reset(self) -> None:
        if self.db is not None:
            self.db.close()
        _remove_sqlite_files(self.path)
        await self.open()

    async def begin(self) -> None:
        self.journal_mode = self.conn.execute("PRAGMA journal_mode").fetchone()[0]
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("BEGIN")

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        self.conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)

    async def drop_indexes(self, table: str) -> list[str]:
        found = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (table,),
        ).fetchall()
        for name, _ in found:
            self.conn.execute(f'DROP INDEX "{name}"')
        return [sql for _, sql in found]

    async def execute(self, sql: str) -> None:
        self.conn.execute(sql)

    async def finish(self, tables: Sequence[str]) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("ANALYZE")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.execute(f"PRAGMA journal_mode={self.journal_mode}")
        self.conn.execute("PRAGMA synchronous=FULL")

    async def count(self, table: str) -> int:
        return int(self.conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])

    async def close(self) -> None:
        if self.db is not None:
            self.db.close()


class PostgresLoader(Loader):
    def __init__(self, url: str) -> None:
        self.url = "postgres://" + url.split("://", 1)[1]
        self.db: Any = None

    async def open(self) -> None:
        import asyncpg  # type: ignore[import-untyped]

        self.db = await asyncpg.connect(self.url)

    async def is_empty(self) -> bool:
        found = await self.db.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        return not found

    async def reset(self) -> None:
        await self.db.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")

    async def begin(self) -> None:
        await self.db.execute("SET synchronous_commit = off")

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        await self.db.copy_records_to_table(table, records=rows, columns=list(columns))

    async def drop_indexes(self, table: str) -> list[str]:
        found = await self.db.fetch(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
            "AND i.tablename = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conname = i.indexname)",
            table,
        )
        for row in found:
            await self.db.execute(f'DROP INDEX "{row["indexname"]}"')
        return [row["indexdef"] for row in found]

    async def execute(self, sql: str) -> None:
        await self.db.execute(sql)

    async def finish(self, tables: Sequence[str]) -> None:
        for table in tables:
            await self.db.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'(SELECT max(id) FROM "{table}"))'
            )
        # VACUUM too: it sets the visibility map, so index-only scans skip the heap as they do on a
        # settled production table (autovacuum would get there later, in the middle of a run).
        await self.db.execute("VACUUM (ANALYZE)")

    async def count(self, table: str) -> int:
        return int(await self.db.fetchval(f'SELECT count(*) FROM "{table}"'))

    async def close(self) -> None:
        if self.db is not None:
            await self.db.close()


# --- the run --------------------------------------------------------------------------------


class Phases:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._start = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.times[name] = now - self._start
        self._start = now
        print(f"  {name}: {self.times[name]:.2f} s", flush=True)


async def migrate(url: str) -> None:
    from tortoise import Tortoise
    from tortoise.migrations.api import migrate as run_migrations

    try:
        await run_migrations(config=tortoise_config(url))
    finally:
        await Tortoise.close_connections()


async def create_bench_account(url: str, home_cell_id: int, home_path: str) -> int:
    """`bench.leader` through the account service, and its ENROLLED leadership (cohort 2)."""
    from tortoise import Tortoise

    from domain.access import Role
    from domain.accounts.service import SYSTEM, create_user, grant_role
    from domain.leaders.models import MicroLeader

    await Tortoise.init(config=tortoise_config(url))
    try:
        user = await create_user(
            actor=SYSTEM, name=BENCH_NAME, username=BENCH_USERNAME, password=BENCH_PASSWORD, is_demo=True
        )
        await grant_role(actor=SYSTEM, user_id=user.id, role=Role.MICRO_LEADER)
        await MicroLeader.create(
            person_id=user.person_id,
            cohort_id=2,
            home_cell_id=home_cell_id,
            home_path=home_path,
            source_role=SourceRole.MICRO_GRID_HEAD,
            status=LeaderStatus.ENROLLED,
            nominated_at=COHORTS[1][3],
            enrolled_at=COHORTS[1][4],
            is_demo=True,
        )
        return int(user.id)
    finally:
        await Tortoise.close_connections()


TABLES = ("grid_cell", "person", "cohort", "micro_leader", "activity", *(t for t, _ in domains.TABLES))


async def generate(scale: Scale, url: str, seed: int, reset: bool = False) -> dict[str, int]:
    postgres = is_postgres(url)
    if scale.postgres_only and not postgres:
        raise SystemExit(f"scale {scale.name} is PostgreSQL only")
    print(f"bench data: scale {scale.name}, seed {seed}, {url}", flush=True)
    phases = Phases()
    loader: PostgresLoader | SqliteLoader = PostgresLoader(url) if postgres else SqliteLoader(url)
    if not postgres:
        sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
    await loader.open()
    try:
        if reset:
            await loader.reset()
        elif not await loader.is_empty():
            raise SystemExit("the database is not empty (pass --reset to empty it first)")
        await loader.close()
        await migrate(url)
        phases.done("migrate")

        rng = random.Random(seed)
        cells = build_tree(rng, scale)
        leaders, persons, leader_rows = build_leaders(rng, scale, cells)
        phases.done("generate tree and leaders")

        await loader.open()
        await loader.begin()
        index_sql = await loader.drop_indexes("activity")
        await loader.insert("grid_cell", CELL_COLUMNS, list(cell_rows(cells)))
        await loader.insert("person", PERSON_COLUMNS, persons)
        await loader.insert("cohort", COHORT_COLUMNS, cohort_rows())
        await loader.insert("micro_leader", LEADER_COLUMNS, leader_rows)
        phases.done("load cells, persons, cohorts, leaders")

        extra = domains.build(seed, cells, scale.organisations, scale.applications)
        for table, columns in domains.TABLES:
            await loader.insert(table, columns, extra.by_table[table])
        phases.done("generate and load organisations and funding rounds")

        names = {c.id: c.name for c in cells}
        for chunk in activity_chunks(rng, leaders, names, scale.activities):
            await loader.insert("activity", ACTIVITY_COLUMNS, chunk)
        phases.done(f"generate and load {scale.activities:,} activities")

        for sql in index_sql:
            await loader.execute(sql)
        phases.done("recreate activity indexes")
        for sql in rebuild_statements("postgres" if postgres else "sqlite"):
            await loader.execute(sql)
        phases.done("monthly rollup of verified activities")
        await loader.finish(TABLES)
        await loader.close()
        phases.done("commit, sequences, ANALYZE (VACUUM on PostgreSQL)")

        town = next(c for c in cells if c.kind is GridKind.TOWN)
        home = next(c for c in _subtree(town) if c.kind is GridKind.MICRO_GRID)
        user_id = await create_bench_account(url, home.id, home.path)
        if user_id != AUTHOR_USER_ID:
            raise SystemExit(f"bench.leader got user id {user_id}, expected {AUTHOR_USER_ID}")
        phases.done("bench.leader account")

        await loader.open()
        counts = {table: await loader.count(table) for table in (*TABLES, "app_user")}
    finally:
        await loader.close()
    total = sum(phases.times.values())
    print("counts: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    print(f"bench home: {home.code} {home.name}; households {cells[0].households:,}")
    print(f"total: {total:.1f} s")
    return counts


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="S", type=str.upper)
    parser.add_argument("--database-url", default=os.environ.get("LINZHI_DATABASE_URL"), required=False)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--reset", action="store_true", help="empty the database first (drops every table)")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url (or LINZHI_DATABASE_URL) is required")
    asyncio.run(generate(SCALES[args.scale], args.database_url, args.seed, args.reset))


if __name__ == "__main__":
    main()
