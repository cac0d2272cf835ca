from __future__ import annotations

import strawberry

from api.schema.errors import attempt
from api.schema.grids.types import (
    GridCellErrorCode,
    GridCellType,
    GridCellUpdateInput,
    GridCellUpdatePayload,
    GridCellUserError,
)
from api.schema.info import Info
from api.schema.relay import node_pk
from domain.grids import service


@strawberry.type
class GridMutations:
    @strawberry.mutation(description="修改网格单元名称或末级单元户数")
    async def grid_cell_update(self, info: Info, input: GridCellUpdateInput) -> GridCellUpdatePayload:
        outcome = await attempt(
            lambda: service.update_cell(
                actor=info.context.actor,
                cell_id=node_pk(input.id, "GridCell"),
                name=input.name,
                households=input.households,
            )
        )
        cell = GridCellType.from_model(outcome.value) if outcome.value else None
        return GridCellUpdatePayload(
            grid_cell=cell, user_errors=outcome.user_errors(GridCellUserError, GridCellErrorCode)
        )
