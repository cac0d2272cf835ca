"""What social work adds to the organisation type: an agency's placements and workers (empty for
any other organisation, without a statement). Read by the resolvers only."""

from __future__ import annotations

import strawberry

from api.schema.contributions import Fields
from api.schema.info import Info
from api.schema.limits import max_items
from api.schema.organisations.types import ORGANISATION_FIELDS, OrganisationType
from api.schema.socialwork.types import PlacementType, SocialWorkerType
from domain.socialwork.queries import MAX_AGENCY_WORKERS, MAX_PLACEMENTS


@strawberry.type
class OrganisationSocialWork:
    @strawberry.field(
        description="社工机构的驻村（社区）服务（在驻的在前，其余按开始日期新的在前）",
        metadata=max_items(MAX_PLACEMENTS),
    )
    async def placements(
        self, organisation: strawberry.Parent[OrganisationType], info: Info
    ) -> list[PlacementType]:
        if not organisation.model.is_agency:
            return []
        rows = await info.context.loaders.socialwork.placements_by_agency.load(organisation.id)
        return [PlacementType.from_model(p) for p in rows]

    @strawberry.field(
        description=f"社工机构的持证社工（证书等级高的在前，最多 {MAX_AGENCY_WORKERS} 名；"
        "全部见 socialWorkers(filter: {employer})）",
        metadata=max_items(MAX_AGENCY_WORKERS),
    )
    async def workers(
        self, organisation: strawberry.Parent[OrganisationType], info: Info
    ) -> list[SocialWorkerType]:
        if not organisation.model.is_agency:
            return []
        rows = await info.context.loaders.socialwork.workers_by_employer.load(organisation.id)
        return [SocialWorkerType.from_model(w) for w in rows]


CONTRIBUTIONS = (Fields(ORGANISATION_FIELDS, OrganisationSocialWork),)
