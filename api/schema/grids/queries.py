from __future__ import annotations

import strawberry

from api.schema.grids.types import (
    GridCellFilter,
    GridCellType,
    GridKindInfo,
)
from api.schema.info import Info
from api.schema.limits import max_items
from api.schema.relay import Connection, build_connection, node_pk, page_request
from domain.grids import queries
from domain.grids.codes import GridKind


def decode_cells_filter(f: GridCellFilter | None) -> queries.GridCellFilter:
    """The GraphQL cell filter as the domain's, for both read paths."""
    if f is None:
        return queries.GridCellFilter()
    return queries.GridCellFilter(
        parent_id=node_pk(f.parent, "GridCell", "filter.parent") if f.parent else None,
        kinds=(f.kind,) if f.kind else (),
        search=f.search,
        include_retired=f.include_retired,
    )


async def load_grid_cell(info: Info, pk: int) -> GridCellType | None:
    cell = await info.context.loaders.grids.cell_by_id.load(pk)
    return GridCellType.from_model(cell) if cell else None


@strawberry.type
class GridQueries:
    @strawberry.field(description="按 ID 查询网格单元")
    async def grid_cell(self, info: Info, id: strawberry.ID) -> GridCellType | None:
        return await load_grid_cell(info, node_pk(id, "GridCell"))

    @strawberry.field(description="按区划/网格编码查询（含已撤销）")
    async def grid_cell_by_code(self, info: Info, code: str) -> GridCellType | None:
        cell = await queries.cell_by_code(code)
        return GridCellType.from_model(cell) if cell else None

    @strawberry.field(description="网格单元列表（按编码排序）")
    async def grid_cells(
        self,
        info: Info,
        filter: GridCellFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[GridCellType]:
        domain_filter = decode_cells_filter(filter)
        request = page_request(first=first, after=after, last=last, before=before)
        page = await queries.cells_page(domain_filter, request)

        async def count() -> int:
            return await queries.cells_count(domain_filter)

        return build_connection(page, GridCellType.from_model, count)

    @strawberry.field(description="网格层级及其中文名称", metadata=max_items(len(GridKind)))
    def grid_kinds(self) -> list[GridKindInfo]:
        return [GridKindInfo(kind=kind, label=kind.label) for kind in GridKind]
