"""The verification queue for the bureau (the whole city, by town, searched) and for grid staff
(their subtree only): whatever the filter, nobody is offered a record they typed themselves."""

from __future__ import annotations

import pytest

from domain.access import Role
from domain.activities.models import ActivityStatus
from domain.activities.queries import (
    QueueFilter,
    queue_counts_by_town,
    verification_queue,
    verification_queue_count,
)
from domain.grids.codes import GridKind
from domain.pagination import PageRequest
from tests.accounts import actor_of, make_user
from tests.factories import cell
from tests.factories_activities import Cast, build_cast, insert_activities

pytestmark = pytest.mark.usefixtures("db")

SUBMITTED = ActivityStatus.SUBMITTED


async def _two_towns() -> tuple[Cast, int]:
    """3 waiting records of 李微领 in 当湖街道, 2 of 王微领 in 钟埭街道, 1 typed by the bureau."""
    cast = await build_cast()
    town = await cell(GridKind.TOWN, "330482002", "钟埭街道", cast.tree.city)
    unit = await cell(GridKind.COMMUNITY, "330482002001", "演示社区", town)
    await insert_activities(
        cast.tree.micro_grids[0], 3, author_user_id=cast.users["leader.li"].id,
        leader_id=cast.leader_row.id, status=SUBMITTED,
    )  # fmt: skip
    await insert_activities(
        unit, 2, author_user_id=cast.users["leader.wang"].id, leader_id=cast.other_leader_row.id,
        status=SUBMITTED,
    )  # fmt: skip
    await insert_activities(unit, 1, author_user_id=cast.users["bureau.chen"].id, status=SUBMITTED)
    return cast, town.id


async def test_the_bureau_queue_spans_every_town_with_counts_per_town() -> None:
    cast, zhongdai = await _two_towns()
    # WHEN the bureau opens its queue
    page = await verification_queue(cast.bureau, PageRequest(first=20))
    counts = await queue_counts_by_town(cast.bureau)
    # THEN every waiting record of both towns is there, but not the one it typed itself
    assert len(page.items) == 5
    assert counts == {cast.tree.town.id: 3, zhongdai: 2}
    # AND one town's records alone, its count unchanged by choosing it
    in_town = QueueFilter(town_id=zhongdai)
    assert await verification_queue_count(cast.bureau, in_town) == 2
    assert await queue_counts_by_town(cast.bureau, in_town) == counts


async def test_the_queue_is_searched_by_title_or_leader_name() -> None:
    cast, zhongdai = await _two_towns()
    await insert_activities(
        cast.tree.grids[1], 1, author_user_id=cast.users["leader.wang"].id, status=SUBMITTED
    )
    # WHEN the bureau searches a leader's full name, THEN that leader's records, in their town
    by_name = QueueFilter(search="王微领")
    assert await verification_queue_count(cast.bureau, by_name) == 2
    assert await queue_counts_by_town(cast.bureau, by_name) == {zhongdai: 2}
    # AND a title's words find records by title
    by_title = QueueFilter(search="测试活动 0")
    assert await verification_queue_count(cast.bureau, by_title) == 3
    assert await verification_queue_count(cast.bureau, QueueFilter(search="没有这样的记录")) == 0


async def test_grid_staff_keep_their_scope_whatever_town_they_pick() -> None:
    cast, zhongdai = await _two_towns()
    # GIVEN grid staff of 当湖街道's community
    # WHEN they open their queue, or pick the other town
    counts = await queue_counts_by_town(cast.staff)
    picked = await verification_queue_count(cast.staff, QueueFilter(town_id=zhongdai))
    # THEN they see their community's records only
    assert counts == {cast.tree.town.id: 3}
    assert picked == 0


async def test_keyset_pages_of_one_town_follow_each_other_without_gaps() -> None:
    cast, _ = await _two_towns()
    where = QueueFilter(town_id=cast.tree.town.id)
    first = await verification_queue(cast.bureau, PageRequest(first=2), where)
    rest = await verification_queue(
        cast.bureau, PageRequest(first=2, after=first.key_of(first.items[-1])), where
    )
    ids = [a.id for a in first.items + rest.items]
    assert len(ids) == len(set(ids)) == 3
    assert first.has_next
    assert not rest.has_next


async def test_a_clerk_who_typed_records_never_finds_them_in_their_own_queue() -> None:
    cast = await build_cast()
    clerk = await make_user("clerk.wu", Role.GRID_STAFF, cell=cast.tree.city)
    await insert_activities(cast.tree.grids[0], 2, author_user_id=clerk.id, status=SUBMITTED)
    assert await verification_queue_count(cast.bureau) == 2
    assert await verification_queue_count(cast.staff) == 2

    assert await verification_queue_count(await actor_of(clerk)) == 0
