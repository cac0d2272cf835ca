from __future__ import annotations

from datetime import datetime

import strawberry

from api.schema.activities.types import ActivityFilter, ActivityType_, ActivityTypeCount, UnitActivityCounts
from api.schema.info import Info
from api.schema.limits import max_items
from api.schema.relay import Connection, build_connection, node_pk, page_request
from api.schema.subtree import PathOf, subtree_path_of
from domain.activities import queries
from domain.activities.models import ActivityStatus, ActivityType
from domain.pagination import PageRequest

FEED_KEYS: tuple[type, ...] = (datetime, int)


def decode_feed_filter(
    f: ActivityFilter | None, path_of: PathOf, subtree_path: str | None = None
) -> queries.FeedFilter:
    """The GraphQL feed filter as the domain's `FeedFilter`, for both read paths: `path_of` finds
    the path of `filter.subtree`'s cell (the resolvers through the loader, the compiled path
    through its cache); a cell's own feed gives `subtree_path` and `filter.subtree` is ignored."""
    if f is None:
        return queries.FeedFilter(subtree_path=subtree_path)
    if f.subtree and subtree_path is None:
        subtree_path = path_of(node_pk(f.subtree, "GridCell", "filter.subtree"))
    return queries.FeedFilter(
        subtree_path=subtree_path,
        cell_id=node_pk(f.cell, "GridCell", "filter.cell") if f.cell else None,
        leader_id=node_pk(f.leader, "MicroLeader", "filter.leader") if f.leader else None,
        types=tuple(ActivityType(t) for t in f.types or ()),
        statuses=tuple(ActivityStatus(s) for s in f.statuses or ()),
        since=f.since,
        until=f.until,
    )


async def feed_filter(
    info: Info, f: ActivityFilter | None, subtree_path: str | None = None
) -> queries.FeedFilter:
    cell = f.subtree if f is not None and subtree_path is None else None
    return decode_feed_filter(f, await subtree_path_of(info, cell), subtree_path)


def feed_page(first: int | None, after: str | None, last: int | None, before: str | None) -> PageRequest:
    return page_request(first=first, after=after, last=last, before=before, key_types=FEED_KEYS)


async def feed_connection(
    info: Info, domain_filter: queries.FeedFilter, request: PageRequest
) -> Connection[ActivityType_]:
    actor = info.context.actor
    page = await queries.activity_feed(actor, domain_filter, request)

    async def count() -> int:
        return await queries.activities_count(actor, domain_filter)

    return build_connection(page, ActivityType_.from_model, count)


async def load_activity(info: Info, pk: int) -> ActivityType_ | None:
    found = await queries.activities_by_ids(info.context.actor, [pk])
    return ActivityType_.from_model(found[pk]) if pk in found else None


def _type_counts(by_type: dict[ActivityType, int]) -> list[ActivityTypeCount]:
    return [ActivityTypeCount(activity_type=t, label=t.label, count=n) for t, n in sorted(by_type.items())]


@strawberry.type
class ActivityQueries:
    @strawberry.field(description="按 ID 查询活动记录（只返回有权查看的）")
    async def activity(self, info: Info, id: strawberry.ID) -> ActivityType_ | None:
        return await load_activity(info, node_pk(id, "Activity"))

    @strawberry.field(description="活动记录（新的在前；公众只看到公开的已核实记录，不含详情时只见所在网格）")
    async def activities(
        self,
        info: Info,
        filter: ActivityFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ActivityType_]:
        domain_filter = await feed_filter(info, filter)
        return await feed_connection(info, domain_filter, feed_page(first, after, last, before))

    @strawberry.field(
        description="某镇（街道）各社区/村在一段时间内已核实的活动数（按类型）；一条聚合语句",
        metadata=max_items(queries.MAX_UNITS_PER_TOWN),
    )
    async def activity_counts_by_unit(
        self, info: Info, town: strawberry.ID, since: datetime, until: datetime
    ) -> list[UnitActivityCounts]:
        cell = await info.context.loaders.grids.cell_by_id.load(node_pk(town, "GridCell", "town"))
        if cell is None:
            return []
        counts = await queries.counts_by_type_for_units(cell, since, until)
        return [
            UnitActivityCounts(cell_id=unit, counts=_type_counts(by_type))
            for unit, by_type in sorted(counts.items())
        ]

    @strawberry.field(description="待我审核的记录（最早提交的在前）")
    async def verification_queue(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ActivityType_]:
        actor = info.context.actor
        request = page_request(first=first, after=after, last=None, before=None, key_types=FEED_KEYS)
        page = await queries.verification_queue(actor, request)

        async def count() -> int:
            return await queries.verification_queue_count(actor)

        return build_connection(page, ActivityType_.from_model, count)

    @strawberry.field(description="我记录的活动（新的在前）")
    async def my_activities(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ActivityType_]:
        actor = info.context.actor
        page = await queries.my_activities(actor, feed_page(first, after, None, None))

        async def count() -> int:
            return await queries.my_activities_count(actor)

        return build_connection(page, ActivityType_.from_model, count)
