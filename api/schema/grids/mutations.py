from __future__ import annotations

import strawberry

from api.schema.errors import to_user_errors
from api.schema.grids.types import (
    GridCellErrorCode,
    GridCellType,
    GridCellUpdateInput,
    GridCellUpdatePayload,
    GridCellUserError,
    Info,
)
from api.schema.relay import node_pk
from domain.errors import DomainError, PermissionDenied, Unauthenticated
from domain.grids import service


@strawberry.type
class GridMutations:
    @strawberry.mutation(description="修改网格单元名称或末级单元户数")
    async def grid_cell_update(self, info: Info, input: GridCellUpdateInput) -> GridCellUpdatePayload:
        try:
            cell = await service.update_cell(
                actor=info.context.actor,
                cell_id=node_pk(input.id, "GridCell"),
                name=input.name,
                households=input.households,
            )
        except (PermissionDenied, Unauthenticated):
            raise  # authentication and authorization are top-level errors (graphql.md)
        except DomainError as error:
            errors = to_user_errors(error, GridCellUserError, GridCellErrorCode)
            return GridCellUpdatePayload(grid_cell=None, user_errors=errors)
        return GridCellUpdatePayload(grid_cell=GridCellType.from_model(cell), user_errors=[])
