"""Every read of the grid tree. Each function is one indexed statement (or a bounded few)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from domain import sql
from domain.errors import NotFound
from domain.grids.codes import GridKind
from domain.grids.models import CODE_MAX_LENGTH, GridCell, subtree_range
from domain.pagination import Page, PageRequest, keyset_page

CELL_ORDER = ("code",)


@dataclass(frozen=True)
class GridCellFilter:
    parent_id: int | None = None
    kinds: tuple[GridKind, ...] = ()
    search: str | None = None
    include_retired: bool = False


@dataclass(frozen=True)
class SubtreeStats:
    """How many cells of each kind lie below a cell (the cell itself excluded)."""

    counts: dict[GridKind, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, kind: GridKind) -> int:
        return self.counts.get(kind, 0)


async def cell_by_id(cell_id: int) -> GridCell:
    cell = await GridCell.get_or_none(id=cell_id)
    if cell is None:
        raise NotFound("网格单元不存在")
    return cell


async def cell_by_code(code: str) -> GridCell | None:
    code = code.strip()
    if len(code) > CODE_MAX_LENGTH:
        return None  # no cell has such a code (and the ORM refuses to compare with it)
    return await GridCell.get_or_none(code=code)


async def cells_by_ids(ids: Iterable[int]) -> dict[int, GridCell]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {cell.id: cell for cell in await GridCell.filter(id__in=wanted)}


def active_cells() -> Q:
    """Retired cells leave lists, children and counts (a lookup by id or code still finds them)."""
    return Q(retired=False)


def cells_filter(f: GridCellFilter) -> list[Q]:
    """The `gridCells` list's read rule: the one source for the resolvers (`_filtered`) and the
    compiled read path (`api/schema/grids/compile.py`)."""
    parts: list[Q] = []
    if f.parent_id is not None:
        parts.append(Q(parent_id=f.parent_id))
    if f.kinds:
        parts.append(Q(kind__in=list(f.kinds)))
    if not f.include_retired:
        parts.append(active_cells())
    search = (f.search or "").strip()
    if search.isdigit():
        parts.append(code_prefix(search))
    elif search:
        parts.append(Q(name__contains=search))
    return parts


def _filtered(f: GridCellFilter) -> QuerySet[GridCell]:
    return GridCell.filter(*cells_filter(f))


def code_prefix(prefix: str) -> Q:
    """Codes starting with a digit prefix, as an index range (LIKE 'x%' is not indexed under
    every collation): [prefix, prefix + 1) compares correctly for digit strings. A prefix longer
    than any code matches nothing."""
    if len(prefix) > CODE_MAX_LENGTH:
        return Q(code__in=[])
    if set(prefix) == {"9"}:
        return Q(code__startswith=prefix)
    upper = str(int(prefix) + 1).zfill(len(prefix))
    return Q(code__gte=prefix, code__lt=upper)


async def cells_page(f: GridCellFilter, request: PageRequest) -> Page[GridCell]:
    return await keyset_page(_filtered(f), CELL_ORDER, request)


async def cells_count(f: GridCellFilter) -> int:
    return await _filtered(f).count()


async def ancestors(cell: GridCell) -> list[GridCell]:
    """From the root down to the parent: one query on the ids the path already holds."""
    by_id = await cells_by_ids(cell.ancestor_ids)
    return [by_id[i] for i in cell.ancestor_ids if i in by_id]


async def children_of(parent_ids: Iterable[int]) -> dict[int, list[GridCell]]:
    """Active children of each parent in code order, in one statement. The tree's fan-out is
    bounded (a grid has tens of micro-grids, a town tens of units), so whole lists are cheap."""
    wanted = list(set(parent_ids))
    grouped: dict[int, list[GridCell]] = defaultdict(list)
    if wanted:
        rows = GridCell.filter(active_cells(), parent_id__in=wanted).order_by("parent_id", "code")
        for cell in await rows:
            grouped[cell.parent_id or 0].append(cell)
    return grouped


async def child_counts(parent_ids: Iterable[int]) -> dict[int, int]:
    wanted = list(set(parent_ids))
    if not wanted:
        return {}
    rows = (
        await GridCell.filter(parent_id__in=wanted, retired=False)
        .group_by("parent_id")
        .annotate(n=Count("id"))
        .values("parent_id", "n")
    )
    return {row["parent_id"]: row["n"] for row in rows}


async def subtree_stats(paths: Iterable[str]) -> dict[str, SubtreeStats]:
    """Counts by kind below each path. One GROUP BY per distinct depth in the batch, each an
    index range scan over the paths' span."""
    by_length: dict[int, list[str]] = defaultdict(list)
    for path in set(paths):
        by_length[len(path)].append(path)
    counts: dict[str, dict[GridKind, int]] = {path: {} for paths_ in by_length.values() for path in paths_}
    for length, group in by_length.items():
        low = min(group)
        high = subtree_range(max(group))[1]
        rows = await sql.fetch_all(
            "SELECT substr(path, 1, ?) AS root, kind, COUNT(*) AS n FROM grid_cell "
            "WHERE path >= ? AND path < ? AND retired = ? AND length(path) > ? "
            f"AND substr(path, 1, ?) IN ({sql.placeholders(len(group))}) "
            "GROUP BY 1, 2",
            [length, low, high, False, length, length, *group],
        )
        for row in rows:
            counts[row["root"]][GridKind(row["kind"])] = int(row["n"])
    return {path: SubtreeStats(kinds) for path, kinds in counts.items()}


async def has_children(cell_id: int) -> bool:
    return await GridCell.filter(parent_id=cell_id, retired=False).exists()
