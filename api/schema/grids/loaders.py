"""Per-request DataLoaders for the grid tree: one SQL statement per batch, results in key order."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from api.schema.loaders import loader_field
from domain.grids import queries
from domain.grids.models import GridCell
from domain.grids.queries import SubtreeStats
from domain.people import queries as people_queries
from domain.people.models import Person


async def cells_by_id(keys: list[int]) -> list[GridCell | None]:
    found = await queries.cells_by_ids(keys)
    return [found.get(k) for k in keys]


async def children_by_parent(keys: list[int]) -> list[list[GridCell]]:
    grouped = await queries.children_of(keys)
    return [grouped.get(k, []) for k in keys]


async def child_count_by_parent(keys: list[int]) -> list[int]:
    counts = await queries.child_counts(keys)
    return [counts.get(k, 0) for k in keys]


async def subtree_stats_by_path(keys: list[str]) -> list[SubtreeStats]:
    stats = await queries.subtree_stats(keys)
    return [stats[k] for k in keys]


async def persons_by_id(keys: list[int]) -> list[Person | None]:
    found = await people_queries.persons_by_ids(keys)
    return [found.get(k) for k in keys]


@dataclass
class GridLoaders:
    cell_by_id: DataLoader[int, GridCell | None] = loader_field(cells_by_id)
    children_by_parent: DataLoader[int, list[GridCell]] = loader_field(children_by_parent)
    child_count_by_parent: DataLoader[int, int] = loader_field(child_count_by_parent)
    subtree_stats_by_path: DataLoader[str, SubtreeStats] = loader_field(subtree_stats_by_path)
    person_by_id: DataLoader[int, Person | None] = loader_field(persons_by_id)
