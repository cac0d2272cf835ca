"""What the leaders domain adds to other domains' types (see `api.schema.contributions`):
GridCell.leaders. The compiled twin is in `api.schema.leaders.compile`."""

from __future__ import annotations

import strawberry

from api.schema.contributions import Fields
from api.schema.grids.types import GRID_CELL_FIELDS, GridCellType
from api.schema.info import Info
from api.schema.leaders.types import MicroLeaderType
from api.schema.limits import max_items
from domain.leaders.queries import MAX_LEADERS_PER_CELL


@strawberry.type
class GridCellLeaders:
    @strawberry.field(
        description="以本单元为所在网格的微领袖（不含已退出）", metadata=max_items(MAX_LEADERS_PER_CELL)
    )
    async def leaders(self, cell: strawberry.Parent[GridCellType], info: Info) -> list[MicroLeaderType]:
        rows = await info.context.loaders.leaders.leaders_by_cell.load(cell.id)
        return [MicroLeaderType.from_model(leader) for leader in rows]


CONTRIBUTIONS = (Fields(GRID_CELL_FIELDS, GridCellLeaders),)
