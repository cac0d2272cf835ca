from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from domain.grids.codes import GridKind

if TYPE_CHECKING:
    from domain.people.models import Person

# A materialized path is the ids from the root to the cell, each zero-padded to this width, with
# no separator: digit-only strings compare the same under every collation, so a subtree is the
# index range [path, path + 1) on both SQLite and PostgreSQL.
PATH_SEGMENT = 8
# The path column holds 8 segments: a cell and at most 7 ancestors (`GridCell.ancestors`).
MAX_ANCESTORS = 7
CODE_MAX_LENGTH = 17  # 6-digit county + 3 township + 3 unit + 3 grid + 2 micro-grid


class GridCell(Model):
    """A node of the territorial tree (市 > 镇街 > 社区/村 > 网格 > 微网格).

    `households` of a leaf is entered by staff; on every other cell it is the sum over its
    subtree, kept up to date by the service so any cell's total is one row read.
    """

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(GridKind, max_length=16)
    code = fields.CharField(max_length=CODE_MAX_LENGTH, unique=True)
    name = fields.CharField(max_length=100)
    parent: fields.ForeignKeyNullableRelation[GridCell] = fields.ForeignKeyField(
        "models.GridCell", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    path = fields.CharField(max_length=PATH_SEGMENT * 8, default="")
    depth = fields.SmallIntField()
    households = fields.IntField(default=0)
    head: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="headed_cells", null=True, on_delete=fields.SET_NULL
    )
    retired = fields.BooleanField(default=False)
    code_verified = fields.BooleanField(default=True)
    is_demo = fields.BooleanField(default=False)
    # The household figure sums generated (demo) data: shown as an estimate, not a fact, even on
    # a real division. Set by the seeds; entered figures of a real deployment leave it false.
    households_estimated = fields.BooleanField(default=False, db_default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    parent_id: int | None
    head_id: int | None

    class Meta:
        table = "grid_cell"
        ordering = ["code"]
        indexes = [
            Index(fields=["path"], name="grid_cell_path_idx"),
            Index(fields=["parent_id", "code"], name="grid_cell_parent_code_idx"),
        ]

    @property
    def kind_label(self) -> str:
        return self.kind.label

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to the parent, read off the path (no query)."""
        return path_ids(self.path)[:-1]

    @property
    def is_leaf_kind(self) -> bool:
        return self.kind is GridKind.MICRO_GRID


def path_ids(path: str) -> list[int]:
    return [int(path[i : i + PATH_SEGMENT]) for i in range(0, len(path), PATH_SEGMENT)]


def path_segment(cell_id: int) -> str:
    return f"{cell_id:0{PATH_SEGMENT}d}"


# Depths of the tree's levels below the root city (depth 0), for tables that copy a cell's
# ancestors into one column per level so a subtree at that level is an equality, not a range.
TOWN_DEPTH, UNIT_DEPTH, GRID_DEPTH, MICRO_GRID_DEPTH = 1, 2, 3, 4


def path_depth(path: str) -> int:
    return len(path) // PATH_SEGMENT - 1


def subtree_range(path: str) -> tuple[str, str]:
    """[low, high) bounds of every path in the subtree rooted at `path`, the root included."""
    return path, str(int(path) + 1).zfill(len(path))
