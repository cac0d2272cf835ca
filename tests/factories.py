"""Small trees built through the domain service, for tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.access import Actor, Grant, Role
from domain.grids import service
from domain.grids.codes import GridKind
from domain.grids.models import GridCell

# Acts as bureau staff for building test data; tests of permissions build real users instead.
BUREAU = Actor(display_name="测试数据", grants=(Grant(Role.BUREAU_STAFF),), system=True)


@dataclass
class Tree:
    city: GridCell
    town: GridCell
    community: GridCell
    village: GridCell
    grids: list[GridCell] = field(default_factory=list)
    micro_grids: list[GridCell] = field(default_factory=list)


async def cell(
    kind: GridKind, code: str, name: str, parent: GridCell | None = None, households: int = 0
) -> GridCell:
    return await service.create_cell(
        actor=BUREAU,
        kind=kind,
        code=code,
        name=name,
        parent_id=parent.id if parent else None,
        households=households,
    )


async def build_tree(grids: int = 2, micro_grids_per_grid: int = 3, households: int = 40) -> Tree:
    """平湖市 > 当湖街道 > 南河头社区 (+ a village) > `grids` grids > micro-grids of `households` each."""
    city = await cell(GridKind.CITY, "330482", "平湖市")
    town = await cell(GridKind.TOWN, "330482001", "当湖街道", city)
    community = await cell(GridKind.COMMUNITY, "330482001005", "南河头社区", town)
    village = await cell(GridKind.VILLAGE, "330482001201", "演示村", town)
    tree = Tree(city=city, town=town, community=community, village=village)
    for g in range(1, grids + 1):
        grid = await cell(GridKind.GRID, f"{community.code}{g:03d}", f"第{g}网格", community)
        tree.grids.append(grid)
        for m in range(1, micro_grids_per_grid + 1):
            micro = await cell(GridKind.MICRO_GRID, f"{grid.code}{m:02d}", f"{m}幢", grid, households)
            tree.micro_grids.append(micro)
    return tree


async def reload(cell_: GridCell) -> GridCell:
    return await GridCell.get(id=cell_.id)
