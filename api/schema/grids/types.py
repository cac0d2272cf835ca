from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import relay

from api.schema.contributions import Slot
from api.schema.info import Info
from api.schema.limits import max_items
from api.schema.people.types import PersonType
from api.schema.relay import USER_ERRORS, Connection, UserError, build_connection, page_request
from domain.grids.codes import GridKind
from domain.grids.models import MAX_ANCESTORS
from domain.grids.models import GridCell as GridCellModel
from domain.grids.queries import CELL_ORDER
from domain.pagination import slice_page

GridKindEnum = strawberry.enum(GridKind, name="GridKind", description="网格单元层级")


@strawberry.type(description="层级及其中文名称")
class GridKindInfo:
    kind: GridKindEnum  # type: ignore[valid-type]
    label: str


@strawberry.type(description="下级单元中某一层级的数量")
class GridKindCount:
    kind: GridKindEnum  # type: ignore[valid-type]
    label: str
    count: int


@strawberry.type(description="子树统计：该单元以下（不含自身）各层级单元数")
class GridSubtreeStats:
    total: int
    by_kind: list[GridKindCount] = strawberry.field(metadata=max_items(len(GridKind)))


@strawberry.type(name="GridCell", description="网格单元：市、镇（街道）、社区/村、网格、微网格")
class GridCellType(relay.Node):
    id: relay.NodeID[int]
    code: str = strawberry.field(description="区划/网格编码")
    name: str
    kind: GridKindEnum  # type: ignore[valid-type]
    kind_label: str = strawberry.field(description="层级中文名称")
    depth: int
    households: int = strawberry.field(description="户数；非末级单元为下级汇总")
    households_estimated: bool = strawberry.field(
        description="户数为演示估算：由生成的演示数据得出或汇总，不是实际统计"
    )
    retired: bool = strawberry.field(description="已撤销的单元仍可查询")
    code_verified: bool = strawberry.field(description="编码是否已核实")
    is_demo: bool = strawberry.field(description="演示数据")
    path: strawberry.Private[str]
    parent_id: strawberry.Private[int | None]
    head_id: strawberry.Private[int | None]
    ancestor_ids: strawberry.Private[list[int]]

    @classmethod
    def from_model(cls, cell: GridCellModel) -> GridCellType:
        return cls(
            id=cell.id,
            code=cell.code,
            name=cell.name,
            kind=cell.kind,
            kind_label=cell.kind.label,
            depth=cell.depth,
            households=cell.households,
            households_estimated=cell.households_estimated,
            retired=cell.retired,
            code_verified=cell.code_verified,
            is_demo=cell.is_demo,
            path=cell.path,
            parent_id=cell.parent_id,
            head_id=cell.head_id,
            ancestor_ids=cell.ancestor_ids,
        )

    @strawberry.field(description="上级单元")
    async def parent(self, info: Info) -> GridCellType | None:
        if self.parent_id is None:
            return None
        cell = await info.context.loaders.grids.cell_by_id.load(self.parent_id)
        return GridCellType.from_model(cell) if cell else None

    @strawberry.field(
        description="从市到上级的所有祖先（面包屑），自上而下", metadata=max_items(MAX_ANCESTORS)
    )
    async def ancestors(self, info: Info) -> list[GridCellType]:
        cells = await info.context.loaders.grids.cell_by_id.load_many(self.ancestor_ids)
        return [GridCellType.from_model(c) for c in cells if c is not None]

    @strawberry.field(description="下级单元（按编码排序，不含已撤销）")
    async def children(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[GridCellType]:
        request = page_request(first=first, after=after, last=last, before=before)
        children = await info.context.loaders.grids.children_by_parent.load(self.id)
        page = slice_page(children, CELL_ORDER, request)

        async def count() -> int:
            return len(children)

        return build_connection(page, GridCellType.from_model, count)

    @strawberry.field(description="子树统计")
    async def subtree(self, info: Info) -> GridSubtreeStats:
        stats = await info.context.loaders.grids.subtree_stats_by_path.load(self.path)
        return GridSubtreeStats(
            total=stats.total,
            by_kind=[
                GridKindCount(kind=kind, label=kind.label, count=stats.count(kind))
                for kind in GridKind
                if stats.count(kind)
            ],
        )

    @strawberry.field(description="网格长（脱敏）")
    async def head(self, info: Info) -> PersonType | None:
        if self.head_id is None:
            return None
        person = await info.context.loaders.grids.person_by_id.load(self.head_id)
        return PersonType.for_actor(info.context.actor, person) if person else None


# Other domains add GridCell fields here (before `head`): leaders, activities.
GRID_CELL_FIELDS = Slot(GridCellType, before="head")


@strawberry.input(description="网格单元筛选条件")
class GridCellFilter:
    parent: strawberry.ID | None = strawberry.field(default=None, description="上级单元 ID")
    kind: GridKindEnum | None = None  # type: ignore[valid-type]
    search: str | None = strawberry.field(default=None, description="按名称或编码前缀搜索")
    include_retired: bool = False


@strawberry.enum(description="网格单元相关错误码")
class GridCellErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID = "INVALID"
    INVALID_NAME = "INVALID_NAME"
    HOUSEHOLDS_OUT_OF_RANGE = "HOUSEHOLDS_OUT_OF_RANGE"
    HOUSEHOLDS_DERIVED = "HOUSEHOLDS_DERIVED"
    RETIRED = "RETIRED"


@strawberry.type
class GridCellUserError(UserError):
    code: GridCellErrorCode


@strawberry.input(description="修改网格单元：名称，或末级单元的户数")
class GridCellUpdateInput:
    id: strawberry.ID
    name: str | None = None
    households: int | None = None


@strawberry.type
class GridCellUpdatePayload:
    grid_cell: GridCellType | None
    user_errors: list[GridCellUserError] = strawberry.field(metadata=USER_ERRORS)
