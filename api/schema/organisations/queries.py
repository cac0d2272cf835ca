from __future__ import annotations

import strawberry

from api.schema.info import Info
from api.schema.limits import max_items
from api.schema.organisations.types import (
    AnnualReportType,
    OrganisationFilter,
    OrganisationMemberType,
    OrganisationStatusCount,
    OrganisationType,
    SanctionType,
)
from api.schema.relay import Connection, build_connection, node_pk, page_request
from api.schema.subtree import PathOf, subtree_path_of
from domain.organisations import queries
from domain.organisations.models import OrgStatus


def decode_directory_filter(f: OrganisationFilter | None, path_of: PathOf) -> queries.DirectoryFilter:
    """The GraphQL directory filter as the domain's, for both read paths."""
    if f is None:
        return queries.DirectoryFilter()
    return queries.DirectoryFilter(
        town_id=node_pk(f.town, "GridCell", "filter.town") if f.town else None,
        subtree_path=path_of(node_pk(f.subtree, "GridCell", "filter.subtree")) if f.subtree else None,
        legal_forms=tuple(f.legal_forms or ()),
        fields=tuple(f.fields or ()),
        statuses=tuple(f.statuses or ()),
        rating=f.rating,
        social_work=f.social_work,
        search=f.search,
    )


async def load_organisation(info: Info, pk: int) -> OrganisationType | None:
    org = await info.context.loaders.organisations.organisation_by_id.load(pk)
    return OrganisationType.from_model(org) if org else None


@strawberry.type
class OrganisationQueries:
    @strawberry.field(description="按 ID 查询社会组织")
    async def organisation(self, info: Info, id: strawberry.ID) -> OrganisationType | None:
        return await load_organisation(info, node_pk(id, "Organisation"))

    @strawberry.field(description="社会组织名录（公开；按登记先后排序）")
    async def organisations(
        self,
        info: Info,
        filter: OrganisationFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[OrganisationType]:
        path_of = await subtree_path_of(info, filter.subtree if filter else None)
        where = decode_directory_filter(filter, path_of)
        request = page_request(first=first, after=after, last=last, before=before, key_types=(int,))
        page = await queries.directory(where, request)

        async def count() -> int:
            return await queries.directory_count(where)

        return build_connection(page, OrganisationType.from_model, count)

    @strawberry.field(
        description="名录中各状态的组织数（如 已登记 560、已备案 1989）", metadata=max_items(len(OrgStatus))
    )
    async def organisation_totals(
        self, info: Info, filter: OrganisationFilter | None = None
    ) -> list[OrganisationStatusCount]:
        path_of = await subtree_path_of(info, filter.subtree if filter else None)
        totals = await queries.totals_by_status(decode_directory_filter(filter, path_of))
        return [OrganisationStatusCount(status=s, label=s.label, count=n) for s, n in totals.items()]


async def load_member(info: Info, pk: int) -> OrganisationMemberType | None:
    member = await info.context.loaders.organisations.member_by_id.load(pk)
    return OrganisationMemberType.from_model(member) if member else None


async def load_sanction(info: Info, pk: int) -> SanctionType | None:
    sanction = await info.context.loaders.organisations.sanction_by_id.load(pk)
    return SanctionType.from_model(sanction) if sanction else None


async def load_report(info: Info, pk: int) -> AnnualReportType | None:
    report = await info.context.loaders.organisations.report_by_id.load(pk)
    return AnnualReportType.from_model(report) if report else None
