"""The grid browser's page data. Every builder reads in a fixed number of statements, however
many rows the page lists: children, counts and ancestors are each fetched in one batch."""

from __future__ import annotations

from dataclasses import dataclass

from domain.grids import queries
from domain.grids.codes import GridKind
from domain.grids.models import GridCell
from domain.grids.queries import GridCellFilter, SubtreeStats
from domain.pagination import PageRequest

SEARCH_PAGE_SIZE = 50


@dataclass(frozen=True)
class Level:
    """One tier of the tree; communities and villages share a tier."""

    label: str
    kinds: tuple[GridKind, ...]
    description: str

    def count(self, stats: SubtreeStats) -> int:
        return sum(stats.count(kind) for kind in self.kinds)


LEVELS: tuple[Level, ...] = (
    Level("市", (GridKind.CITY,), "县级市，网格体系的根。"),
    Level("镇（街道）", (GridKind.TOWN,), "乡镇级区划：街道以城区为主，镇以农村为主。"),
    Level(
        "社区/村",
        (GridKind.COMMUNITY, GridKind.VILLAGE),
        "村（居）级单元：城镇为社区，农村为行政村，编码为 12 位。",
    ),
    Level("网格", (GridKind.GRID,), "社区或村划分的治理网格，一般覆盖 300–500 户，配备网格长和网格员。"),
    Level("微网格", (GridKind.MICRO_GRID,), "一栋楼、一条弄堂或一个自然村落，约 20–100 户，由微网格长联系。"),
)


def levels_below(kind: GridKind) -> tuple[Level, ...]:
    tier = next(i for i, level in enumerate(LEVELS) if kind in level.kinds)
    return LEVELS[tier + 1 :]


def levels_below_children(kind: GridKind) -> tuple[Level, ...]:
    """The tiers a child of a `kind` cell has below it; the first is its number of children."""
    return levels_below(kind)[1:]


@dataclass(frozen=True)
class KindCount:
    label: str
    count: int


@dataclass(frozen=True)
class ChildRow:
    cell: GridCell
    counts: tuple[int, ...]
    """Cells below this child, one number per `CellPanel.child_levels` entry."""


@dataclass(frozen=True)
class CellPanel:
    cell: GridCell
    ancestors: list[GridCell]
    stats: SubtreeStats
    children: list[ChildRow]

    @property
    def child_level(self) -> Level | None:
        below = levels_below(self.cell.kind)
        return below[0] if below else None

    @property
    def child_levels(self) -> tuple[Level, ...]:
        return levels_below_children(self.cell.kind)

    @property
    def kind_counts(self) -> list[KindCount]:
        kinds = [kind for level in levels_below(self.cell.kind) for kind in level.kinds]
        return [KindCount(kind.label, self.stats.count(kind)) for kind in kinds]


async def city() -> GridCell | None:
    """The root of the tree (one city per deployment)."""
    page = await queries.cells_page(GridCellFilter(kinds=(GridKind.CITY,)), PageRequest(first=1))
    return page.items[0] if page.items else None


async def subtree_stats(cell: GridCell) -> SubtreeStats:
    return (await queries.subtree_stats([cell.path]))[cell.path]


async def cell_panel(cell: GridCell) -> CellPanel:
    ancestors = await queries.ancestors(cell)
    children = (await queries.children_of([cell.id])).get(cell.id, [])
    stats = await queries.subtree_stats([cell.path, *(child.path for child in children)])
    levels = levels_below_children(cell.kind)
    rows = [ChildRow(child, tuple(level.count(stats[child.path]) for level in levels)) for child in children]
    return CellPanel(cell, ancestors, stats[cell.path], rows)


@dataclass(frozen=True)
class SearchHit:
    cell: GridCell
    trail: list[GridCell]
    """Where the cell lies: its ancestors below the root."""


@dataclass(frozen=True)
class SearchResults:
    query: str
    hits: list[SearchHit]
    total: int
    next_after: str | None
    is_first_page: bool


async def search_cells(query: str, after: str | None, size: int = SEARCH_PAGE_SIZE) -> SearchResults:
    """Active cells whose name contains `query` or whose code starts with it, in code order."""
    where = GridCellFilter(search=query)
    page = await queries.cells_page(where, PageRequest(first=size, after=(after,) if after else None))
    total = await queries.cells_count(where)
    by_id = await queries.cells_by_ids({i for cell in page.items for i in cell.ancestor_ids})
    hits = [SearchHit(cell, [by_id[i] for i in cell.ancestor_ids[1:] if i in by_id]) for cell in page.items]
    next_after = page.items[-1].code if page.has_next else None
    return SearchResults(query, hits, total, next_after, is_first_page=after is None)
