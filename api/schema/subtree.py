"""A filter's subtree root, as every domain's filter decoding takes it: a function from the root
cell's id to its materialized path (the resolvers read it through the loader first; the compiled
path takes it from the cell-path cache, `api.compiler.arguments.path_of`)."""

from __future__ import annotations

from collections.abc import Callable

import strawberry

from api.schema.info import Info
from api.schema.relay import node_pk

PathOf = Callable[[int], str]  # a filter's subtree root (a cell id) -> its materialized path
UNKNOWN_CELL_PATH = "-"  # the path of a subtree root that does not exist: matches nothing


async def subtree_path_of(info: Info, cell: strawberry.ID | None) -> PathOf:
    """The resolvers' `PathOf` for a filter's subtree root `cell` (a global ID, if given): its
    path read through the loader, before the (synchronous) decoding."""
    path = UNKNOWN_CELL_PATH
    if cell:
        found = await info.context.loaders.grids.cell_by_id.load(node_pk(cell, "GridCell", "filter.subtree"))
        path = found.path if found else UNKNOWN_CELL_PATH
    return lambda _: path


__all__ = ["UNKNOWN_CELL_PATH", "PathOf", "subtree_path_of"]
