"""The monthly rollup of verified records (`domain.activities.rollup`): kept by verification, equal to
a rebuild from the log, and a town's counts per unit over any period equal to a plain count of its
records, on both databases."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.activities import queries, rollup, service
from domain.activities.models import Activity, ActivityMonthCount, ActivityStatus, ActivityType, location
from domain.errors import DomainError
from domain.grids.codes import GridKind
from domain.grids.models import GridCell
from tests.factories import cell
from tests.factories_activities import build_cast, submitted_activity

pytestmark = pytest.mark.usefixtures("db")

SHANGHAI = timezone(timedelta(hours=8))
# Shanghai midnight on the 1st is 16:00 UTC the day before; UTC midnight on the 1st is 08:00 there.
MONTH_STARTS = [datetime(2025, month, 1, tzinfo=SHANGHAI) for month in (10, 11, 12)] + [
    datetime(2026, month, 1, tzinfo=SHANGHAI) for month in (1, 2, 3, 4)
]
NEAR = [timedelta(0), timedelta(seconds=1), -timedelta(seconds=1), timedelta(hours=8), -timedelta(hours=8)]
NEAR += [timedelta(hours=8, seconds=-1), timedelta(days=3), -timedelta(days=3), timedelta(days=15)]
ZONES = [UTC, SHANGHAI, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=45))]
TYPES = [ActivityType.VISIT, ActivityType.MEDIATION, ActivityType.ENVIRONMENT]


def _near_a_month_edge(rng: random.Random) -> datetime:
    return (rng.choice(MONTH_STARTS) + rng.choice(NEAR)).astimezone(rng.choice(ZONES))


async def _rollup_rows() -> list[tuple[int, int, str, int, int]]:
    rows = await ActivityMonthCount.all().order_by("town_id", "unit_id", "activity_type", "month")
    return [(r.town_id, r.unit_id, r.activity_type.value, r.month, r.n) for r in rows]


async def _insert(rows: list[tuple[GridCell, ActivityType, datetime, ActivityStatus]], author: int) -> None:
    """Rows straight into the table, their times in UTC as the service stores them."""
    await Activity.bulk_create(
        [
            Activity(
                author_user_id=author,
                **location(c.id, c.path),
                activity_type=kind,
                title="测试活动",
                started_at=started.astimezone(UTC),
                ended_at=started.astimezone(UTC) + timedelta(hours=1),
                status=status,
                submitted_at=started if status is ActivityStatus.SUBMITTED else None,
            )
            for c, kind, started, status in rows
        ]
    )


def _expected(
    records: list[Activity], town: GridCell, since: datetime, until: datetime
) -> dict[int, dict[ActivityType, int]]:
    counts: Counter[tuple[int, ActivityType]] = Counter(
        (r.unit_id, r.activity_type)
        for r in records
        if r.status is ActivityStatus.VERIFIED
        and r.town_id == town.id
        and r.unit_id is not None
        and since <= r.started_at < until
    )
    by_unit: dict[int, dict[ActivityType, int]] = {}
    for (unit_id, kind), n in counts.items():
        by_unit.setdefault(unit_id, {})[kind] = n
    return by_unit


async def test_a_verification_counts_once_in_its_shanghai_month_and_nothing_else_does() -> None:
    # GIVEN records submitted on a community's micro-grid at 16:30 UTC on Jan 31 (Feb 1 in
    # Shanghai), on the village, and on the town cell itself (no unit)
    cast = await build_cast()
    tree = cast.tree
    late_january = datetime(2026, 1, 31, 16, 30, tzinfo=UTC)
    # (a paper log from January: entered by grid staff, as leaders log only the last 60 days)
    kept = await submitted_activity(
        cast.staff, tree.micro_grids[0], started_at=late_january, ended_at=late_january + timedelta(hours=1)
    )
    returned = await submitted_activity(cast.leader, tree.micro_grids[0])
    on_town = await submitted_activity(cast.leader, tree.micro_grids[1])
    await Activity.filter(id=on_town.id).update(**location(tree.town.id, tree.town.path))
    # WHEN the first and the town's are verified, and the other returned
    await service.verify_activity(actor=cast.bureau, activity_id=kept.id)
    await service.verify_activity(actor=cast.bureau, activity_id=on_town.id)
    await service.return_activity(actor=cast.staff, activity_id=returned.id, reason="请补充")
    # THEN only the first is counted, in February (the product calendar)
    assert await _rollup_rows() == [(tree.town.id, tree.community.id, "VISIT", 202602, 1)]
    assert await rollup.differences() == 0
    # AND a verified record cannot be verified (counted) twice
    with pytest.raises(DomainError, match="核实"):
        await service.verify_activity(actor=cast.bureau, activity_id=kept.id)
    assert await _rollup_rows() == [(tree.town.id, tree.community.id, "VISIT", 202602, 1)]


async def test_unit_counts_over_any_period_equal_a_plain_count_and_rebuild_equals_incremental() -> None:
    # GIVEN records in two towns, on units, grids, micro-grids and town cells, of three types, at
    # times near Shanghai and UTC month edges; drafts, submitted ones, and about half verified
    # through the service (which keeps the rollup)
    rng = random.Random(20261129)
    cast = await build_cast()
    tree = cast.tree
    other_town = await cell(GridKind.TOWN, "330482002", "钟埭街道", tree.city)
    other_unit = await cell(GridKind.COMMUNITY, "330482002001", "钟埭社区", other_town)
    places = [
        *tree.micro_grids,
        tree.grids[1],
        tree.community,
        tree.village,
        tree.town,
        other_town,
        other_unit,
    ]
    statuses = [ActivityStatus.DRAFT, ActivityStatus.SUBMITTED, ActivityStatus.SUBMITTED]
    await _insert(
        [
            (rng.choice(places), rng.choice(TYPES), _near_a_month_edge(rng), rng.choice(statuses))
            for _ in range(160)
        ],
        cast.leader.user_id or 0,
    )
    for record in await Activity.filter(status=ActivityStatus.SUBMITTED).order_by("id"):
        if rng.random() < 0.7:
            await service.verify_activity(actor=cast.bureau, activity_id=record.id)
    stored = list(await Activity.all())
    assert 40 < sum(r.status is ActivityStatus.VERIFIED for r in stored) < 100
    # WHEN each town is counted over random periods (aligned or not, in several zones, some empty,
    # some reversed) and over whole report months
    windows = [(_near_a_month_edge(rng), _near_a_month_edge(rng)) for _ in range(60)]
    windows += [(MONTH_STARTS[0], MONTH_STARTS[-1]), (MONTH_STARTS[2], MONTH_STARTS[3])]
    windows += [(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=SHANGHAI))]
    for since, until in windows:
        for town in (tree.town, other_town):
            # THEN each answer equals a count of the verified records started in [since, until)
            actual = await queries.counts_by_type_for_units(town, since, until)
            assert actual == _expected(stored, town, since, until), (town.code, since, until)
    # AND the rollup kept by verification is what a rebuild from the log computes, even after one
    # bucket was altered and another lost
    incremental = await _rollup_rows()
    assert await rollup.differences() == 0
    buckets = await ActivityMonthCount.all().order_by("id")
    await ActivityMonthCount.filter(id=buckets[0].id).update(n=buckets[0].n + 1)
    await ActivityMonthCount.filter(id=buckets[-1].id).delete()
    assert await rollup.differences() == 2
    await rollup.rebuild()
    assert await _rollup_rows() == incremental


def test_whole_months_are_the_shanghai_months_inside_the_period() -> None:
    jan, feb, mar = MONTH_STARTS[3], MONTH_STARTS[4], MONTH_STARTS[5]
    assert rollup.whole_months(jan, mar) == (jan, mar)
    assert rollup.whole_months(jan + timedelta(seconds=1), mar) == (feb, mar)
    assert rollup.whole_months(jan, mar - timedelta(seconds=1)) == (jan, feb)
    assert rollup.whole_months(jan + timedelta(hours=8), feb + timedelta(hours=8)) is None  # UTC months
    assert rollup.whole_months(mar, jan) is None
    assert rollup.whole_months(datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)) is None
    assert rollup.month_of(datetime(2026, 12, 31, 16, tzinfo=UTC)) == 202701


async def test_concurrent_verifications_in_one_bucket_never_lose_a_count() -> None:
    # GIVEN thirty submitted records of one unit, type and month
    cast = await build_cast()
    started = datetime(2026, 3, 10, 2, tzinfo=UTC)
    rows = [(cast.tree.micro_grids[0], ActivityType.VISIT, started, ActivityStatus.SUBMITTED)] * 30
    await _insert(rows, cast.leader.user_id or 0)
    ids = [r.id for r in await Activity.all()]
    # WHEN they are all verified at once, each in its own transaction (on PostgreSQL, on the
    # pool's separate connections)
    results = await asyncio.gather(
        *(service.verify_activity(actor=cast.bureau, activity_id=i) for i in ids), return_exceptions=True
    )
    # THEN every verification succeeded and the bucket counts exactly thirty
    assert [r.status for r in results if isinstance(r, Activity)] == [ActivityStatus.VERIFIED] * 30
    assert await _rollup_rows() == [(cast.tree.town.id, cast.tree.community.id, "VISIT", 202603, 30)]
