"""The monthly rollup of verified records (`models.ActivityMonthCount`): how a town's counts per
community/village and type over a long period are read without counting a town-year of rows.

A VERIFIED record never changes (`service`), so the rollup is exact when each verification adds one
to its bucket in the verifying transaction (`count_verified`). `rebuild` recomputes it from the log
(the migration that created it, the seeds and the benchmark data, which insert verified records in
bulk). Months are those of the product calendar, Asia/Shanghai (UTC+8, no daylight saving since
1991, as in `web.localtime`). Records on a town or city cell belong to no unit and are not counted.

`unit_counts_statement` answers a period [since, until) in one statement: the whole months inside
it from the rollup, the partial months at its edges from `activity_town_counts_idx`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain import sql
from domain.activities.models import Activity, ActivityStatus
from domain.clock import SHANGHAI

# The Shanghai month of `started_at` (stored in UTC) as yyyymm. SQLite: the text without its
# fraction and offset (always +00:00), so a time a microsecond before midnight is not rounded
# into the next month.
MONTH_SQL = {
    "sqlite": "CAST(strftime('%Y%m', substr(started_at, 1, 19), '+8 hours') AS INTEGER)",
    "postgres": "CAST(to_char((started_at AT TIME ZONE 'UTC') + INTERVAL '8 hours', 'YYYYMM') AS INTEGER)",
}

_INCREMENT = (
    "INSERT INTO activity_month_count (town_id, unit_id, activity_type, month, n) VALUES (?, ?, ?, ?, 1) "
    "ON CONFLICT (town_id, unit_id, activity_type, month) DO UPDATE SET n = activity_month_count.n + 1"
)

_VERIFIED_IN = (
    "SELECT unit_id, activity_type, COUNT(*) AS n FROM activity "
    "WHERE town_id = ? AND status = ? AND started_at >= ? AND started_at < ? AND unit_id IS NOT NULL "
    "GROUP BY unit_id, activity_type"
)
# Always the same text (the compiled read path and PostgreSQL's generic plans reuse one plan): an
# absent part is an empty range.
UNIT_COUNTS_SQL = (
    "SELECT unit_id, activity_type, CAST(SUM(n) AS BIGINT) AS n FROM ("
    "SELECT unit_id, activity_type, n FROM activity_month_count "
    "WHERE town_id = ? AND month >= ? AND month < ?"
    f" UNION ALL {_VERIFIED_IN} UNION ALL {_VERIFIED_IN}"
    ") parts GROUP BY unit_id, activity_type"
)


def month_of(moment: datetime) -> int:
    """The Shanghai calendar month of `moment` (UTC when naive, as the database returns it), yyyymm."""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(SHANGHAI)
    return local.year * 100 + local.month


def _month_start(moment: datetime) -> datetime:
    local = moment.astimezone(SHANGHAI)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(start: datetime) -> datetime:
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def whole_months(since: datetime, until: datetime) -> tuple[datetime, datetime] | None:
    """[first, last): the Shanghai months wholly inside [since, until), or None when none is."""
    try:
        first = _month_start(since)
        if first < since:
            first = _next_month(first)
        last = _month_start(until)
    except (OverflowError, ValueError):  # at the ends of the datetime range: count the rows
        return None
    return (first, last) if first < last else None


def unit_counts_statement(town_id: int, since: datetime, until: datetime) -> tuple[str, list[Any]]:
    """VERIFIED records started in [since, until) (both with a time zone) in the town, per unit
    and type: the statement, with `?` placeholders, and its parameters. Rows: unit_id,
    activity_type, n."""
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    months = whole_months(since, until)
    if months is None:
        rollup, left, right = (0, 0), (since, until), (until, until)
    else:
        # in UTC: SQLite compares the stored text, which is UTC
        first, last = (edge.astimezone(UTC) for edge in months)
        rollup, left, right = (month_of(first), month_of(last)), (since, first), (last, until)
    verified = ActivityStatus.VERIFIED.value
    params = [town_id, *rollup, town_id, verified, *left, town_id, verified, *right]
    return UNIT_COUNTS_SQL, params


async def count_verified(activity: Activity) -> None:
    """Add a record that has just been verified to its bucket: one atomic upsert, in the caller's
    transaction (concurrent verifications in one bucket never lose a count)."""
    if activity.unit_id is None or activity.town_id is None:
        return
    month = month_of(activity.started_at)
    await sql.fetch_all(_INCREMENT, [activity.town_id, activity.unit_id, activity.activity_type.value, month])


def rebuild_statements(dialect: str) -> list[str]:
    """The rollup recomputed from the log, for a connection of `dialect` ("sqlite", "postgres")."""
    month = MONTH_SQL[dialect]
    return [
        "DELETE FROM activity_month_count",
        "INSERT INTO activity_month_count (town_id, unit_id, activity_type, month, n) "
        f"SELECT town_id, unit_id, activity_type, {month}, COUNT(*) FROM activity "
        f"WHERE status = '{ActivityStatus.VERIFIED.value}' AND unit_id IS NOT NULL AND town_id IS NOT NULL "
        "GROUP BY 1, 2, 3, 4",
    ]


async def rebuild_on(client: BaseDBAsyncClient) -> None:
    for statement in rebuild_statements(str(client.capabilities.dialect)):
        await client.execute_script(statement)


async def rebuild() -> None:
    """Recompute the rollup in one transaction. On PostgreSQL the table is locked against the
    verifications' upserts first: one that had not yet reached its upsert adds its count after
    the rebuild commits; every earlier one has committed and is counted from the log."""
    async with in_transaction() as tx:
        if tx.capabilities.dialect == "postgres":
            await tx.execute_script("LOCK TABLE activity_month_count IN EXCLUSIVE MODE")
        await rebuild_on(tx)


async def differences() -> int:
    """Buckets (town, unit, type, month) whose stored count differs from a count of the log, or
    that only one of them has: 0 when the rollup is exact."""
    stored = "SELECT town_id, unit_id, activity_type, month, n FROM activity_month_count"
    counted = (
        f"SELECT town_id, unit_id, activity_type, {MONTH_SQL[sql.dialect()]} AS month, COUNT(*) AS n "
        "FROM activity WHERE status = ? AND unit_id IS NOT NULL AND town_id IS NOT NULL GROUP BY 1, 2, 3, 4"
    )
    bucket = "SELECT town_id, unit_id, activity_type, month FROM"
    rows = await sql.fetch_all(
        f"SELECT COUNT(*) AS n FROM ({bucket} ({stored} EXCEPT {counted}) a "
        f"UNION {bucket} ({counted} EXCEPT {stored}) b) wrong",
        [ActivityStatus.VERIFIED.value] * 2,
    )
    return int(rows[0]["n"])
