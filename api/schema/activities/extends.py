"""What the activity log adds to other domains' types (see `api.schema.contributions`):
GridCell.activities and MicroLeader.verifiedActivityCounts. The compiled twins are in
`api.schema.activities.compile`."""

from __future__ import annotations

import strawberry

from api.schema.activities.queries import feed_connection, feed_filter, feed_page
from api.schema.activities.types import ActivityFilter, ActivityType_, ActivityTypeCount
from api.schema.contributions import Fields
from api.schema.grids.types import GRID_CELL_FIELDS, GridCellType
from api.schema.info import Info
from api.schema.leaders.types import MICRO_LEADER_FIELDS, MicroLeaderType
from api.schema.limits import max_items
from api.schema.relay import Connection
from domain.activities.models import ActivityType


@strawberry.type
class GridCellActivities:
    @strawberry.field(description="本单元及其下级的活动记录（新的在前；公众只看到已核实的）")
    async def activities(
        self,
        cell: strawberry.Parent[GridCellType],
        info: Info,
        filter: ActivityFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ActivityType_]:
        domain_filter = await feed_filter(info, filter, subtree_path=cell.path)
        return await feed_connection(info, domain_filter, feed_page(first, after, last, before))


@strawberry.type
class MicroLeaderActivityCounts:
    @strawberry.field(description="已核实的活动记录数（按类型）", metadata=max_items(len(ActivityType)))
    async def verified_activity_counts(
        self, leader: strawberry.Parent[MicroLeaderType], info: Info
    ) -> list[ActivityTypeCount]:
        counts = await info.context.loaders.activities.verified_counts_by_leader.load(leader.id)
        return [ActivityTypeCount(activity_type=t, label=t.label, count=n) for t, n in sorted(counts.items())]


CONTRIBUTIONS = (
    Fields(GRID_CELL_FIELDS, GridCellActivities),
    Fields(MICRO_LEADER_FIELDS, MicroLeaderActivityCounts),
)
