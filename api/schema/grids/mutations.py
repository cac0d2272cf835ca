from __future__ import annotations

import strawberry

from api.schema.grids.types import GridCellType, GridCellUpdateInput, GridCellUpdatePayload
from api.schema.info import Info
from api.schema.mutation import respond
from api.schema.relay import node_pk
from domain.grids import service


@strawberry.type
class GridMutations:
    @strawberry.mutation(description="修改网格单元名称或末级单元户数")
    async def grid_cell_update(self, info: Info, input: GridCellUpdateInput) -> GridCellUpdatePayload:
        return await respond(
            GridCellUpdatePayload,
            lambda: service.update_cell(
                actor=info.context.actor,
                cell_id=node_pk(input.id, "GridCell"),
                name=input.name,
                households=input.households,
            ),
            lambda cell: {"grid_cell": GridCellType.from_model(cell)},
        )
