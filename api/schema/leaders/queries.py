from __future__ import annotations

import strawberry

from api.schema.info import Info
from api.schema.leaders.types import (
    CohortType,
    MicroLeaderFilter,
    MicroLeaderType,
    TrainingSessionType,
)
from api.schema.limits import max_items
from api.schema.relay import Connection, build_connection, node_pk, page_request
from api.schema.subtree import PathOf, subtree_path_of
from domain.leaders import queries
from domain.leaders.models import LeaderStatus


def decode_leader_filter(f: MicroLeaderFilter | None, path_of: PathOf) -> queries.LeaderFilter:
    """The GraphQL leader filter as the domain's, for both read paths (`path_of`: see
    `api.schema.grids.queries.PathOf`)."""
    if f is None:
        return queries.LeaderFilter()
    return queries.LeaderFilter(
        cohort_id=node_pk(f.cohort, "Cohort", "filter.cohort") if f.cohort else None,
        statuses=(LeaderStatus(f.status),) if f.status else (),
        subtree_path=path_of(node_pk(f.subtree, "GridCell", "filter.subtree")) if f.subtree else None,
        search=f.search,
    )


async def load_leader(info: Info, pk: int) -> MicroLeaderType | None:
    leader = await info.context.loaders.leaders.leader_by_id.load(pk)
    return MicroLeaderType.from_model(leader) if leader else None


async def load_cohort(info: Info, pk: int) -> CohortType | None:
    cohort = await info.context.loaders.leaders.cohort_by_id.load(pk)
    return CohortType.from_model(cohort) if cohort else None


async def load_session(info: Info, pk: int) -> TrainingSessionType | None:
    session = await info.context.loaders.leaders.session_by_id.load(pk)
    return TrainingSessionType.from_model(session) if session else None


@strawberry.type
class LeaderQueries:
    @strawberry.field(description="培训期次（新的在前）", metadata=max_items(queries.MAX_COHORTS_LISTED))
    async def cohorts(self) -> list[CohortType]:
        return [CohortType.from_model(c) for c in await queries.cohorts()]

    @strawberry.field(description="按 ID 查询期次")
    async def cohort(self, info: Info, id: strawberry.ID) -> CohortType | None:
        return await load_cohort(info, node_pk(id, "Cohort"))

    @strawberry.field(description="按 ID 查询微领袖")
    async def micro_leader(self, info: Info, id: strawberry.ID) -> MicroLeaderType | None:
        return await load_leader(info, node_pk(id, "MicroLeader"))

    @strawberry.field(description="微领袖名录")
    async def micro_leaders(
        self,
        info: Info,
        filter: MicroLeaderFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[MicroLeaderType]:
        actor = info.context.actor
        path_of = await subtree_path_of(info, filter.subtree if filter else None)
        domain_filter = decode_leader_filter(filter, path_of)
        request = page_request(first=first, after=after, last=last, before=before, key_types=(int,))
        page = await queries.leaders_page(actor, domain_filter, request)

        async def count() -> int:
            return await queries.leaders_count(actor, domain_filter)

        return build_connection(page, MicroLeaderType.from_model, count)

    @strawberry.field(description="按 ID 查询培训场次")
    async def training_session(self, info: Info, id: strawberry.ID) -> TrainingSessionType | None:
        return await load_session(info, node_pk(id, "TrainingSession"))
