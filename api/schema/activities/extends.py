"""What the activity log adds to other domains' types (see `api.schema.contributions`):
GridCell.activities. The compiled twin is in `api.schema.activities.compile`."""

from __future__ import annotations

import strawberry

from api.schema.activities.queries import feed_connection, feed_filter, feed_page
from api.schema.activities.types import ActivityFilter, ActivityType_
from api.schema.contributions import Fields
from api.schema.grids.types import GRID_CELL_FIELDS, GridCellType
from api.schema.info import Info
from api.schema.relay import Connection


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


CONTRIBUTIONS = (Fields(GRID_CELL_FIELDS, GridCellActivities),)
