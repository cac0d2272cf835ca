"""Loads the 平湖市 grid tree (real divisions + generated demo cells) into the current database.

Speed: per tree level one bulk insert, one read-back of the new ids and one bulk update of the
materialized paths (each in batches); households arrive already rolled up, so no row is touched a
third time. About 50 statements for the ~5,800 cells and 600 heads; a complete tree costs one read.

Idempotence: the full desired tree is computed, codes already present are left alone and only the
missing cells are inserted. When a missing cell lands under an existing one, its households are
added to the existing ancestors, so rollups stay exact even after a partial load.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.grids.codes import GridKind, validate_code
from domain.grids.models import GridCell, path_ids, path_segment
from domain.people.models import Person
from seeds import pinghu
from seeds.generate import DEFAULT_SEED, DEPTH, SeedCell, SeedTree, generate

INSERT_BATCH = 1000
# bulk_update writes `CASE id WHEN ... END`, evaluated branch by branch for every row: small
# batches keep that quadratic cost negligible.
PATH_BATCH = 250
# Codes per `IN (...)` read: far below the bind-parameter limits of SQLite and asyncpg.
READ_CHUNK = 1000
LEVELS = range(5)


@dataclass(frozen=True)
class SeedReport:
    """What one load inserted; a load over complete seeds reports nothing."""

    cells: dict[GridKind, int] = field(default_factory=dict)
    people: int = 0
    accounts: int = 0

    @property
    def inserted(self) -> int:
        return sum(self.cells.values()) + self.people + self.accounts

    def __str__(self) -> str:
        """Two lines for the `seed` command."""
        return f"{self._grids()}\n{self._accounts()}"

    def _grids(self) -> str:
        if not self.cells:
            return "grid seeds: nothing to insert, the tree is complete"
        cells = ", ".join(f"{count} {kind.value}" for kind, count in self.cells.items())
        return f"grid seeds inserted: {cells}; {self.people} demo people"

    def _accounts(self) -> str:
        if not self.accounts:
            return "demo accounts: all present"
        return f"demo accounts created: {self.accounts} (development only, password in README)"


@dataclass(frozen=True)
class _Placed:
    id: int
    path: str


async def load_grid_seeds(*, seed: int = DEFAULT_SEED) -> SeedReport:
    """Insert every cell of the seeded tree that is not in the database yet, in one transaction."""
    tree = generate(seed)
    _validate(tree)
    async with in_transaction():
        rows = await GridCell.filter(code__startswith=pinghu.CITY.code).values_list(
            "code", "is_demo", "depth"
        )
        existing: set[str] = {code for code, _, _ in rows}
        _refuse_stale_demo_tree(
            tree, [code for code, demo, depth in rows if demo and depth == DEPTH[GridKind.VILLAGE]]
        )
        missing = [cell for cell in tree.cells if cell.code not in existing]
        placed: dict[str, _Placed] = {}
        people = 0
        for depth in LEVELS:
            level = [cell for cell in missing if cell.depth == depth]
            if level:
                placed.update(await _placed(_parent_codes(level) - placed.keys()))
                heads = await _insert_heads(level)
                placed.update(await _insert_level(level, placed, heads))
                people += len(heads)
        await _roll_into_existing(missing, existing, placed)
    return SeedReport(_count_by_kind(missing), people)


class StaleDemoData(RuntimeError):
    """The database holds generated units this generator no longer makes (an older demo)."""


def _refuse_stale_demo_tree(tree: SeedTree, demo_units: list[str]) -> None:
    """Seeding adds what is missing; over an older demo tree it would add a second one beside it."""
    wanted = {cell.code for cell in tree.cells}
    stale = [code for code in demo_units if code not in wanted]
    if stale:
        raise StaleDemoData(
            f"数据库里有 {len(stale)} 个旧版演示单元（如 {min(stale)}），与当前的演示数据生成规则不符："
            "请删除演示数据库（默认 data/linzhi.sqlite3）后重新运行 make run。"
        )


def _validate(tree: SeedTree) -> None:
    """Fail before touching the database if any code breaks the code rules."""
    by_code = {cell.code: cell for cell in tree.cells}
    for cell in tree.cells:
        parent = by_code[cell.parent_code] if cell.parent_code else None
        parent_kind = parent.kind if parent else None
        validate_code(cell.code, cell.kind, cell.parent_code, parent_kind)


def _parent_codes(level: Iterable[SeedCell]) -> set[str]:
    return {cell.parent_code for cell in level if cell.parent_code}


async def _placed(codes: Iterable[str]) -> dict[str, _Placed]:
    """(id, path) of the cells with these codes, read in chunks."""
    wanted = sorted(codes)
    found: dict[str, _Placed] = {}
    for start in range(0, len(wanted), READ_CHUNK):
        rows = await GridCell.filter(code__in=wanted[start : start + READ_CHUNK]).values_list(
            "id", "code", "path"
        )
        found.update({code: _Placed(cell_id, path) for cell_id, code, path in rows})
    return found


async def _insert_heads(level: Sequence[SeedCell]) -> dict[str, int]:
    """Insert the level's demo heads; person id by mobile. Mobiles are distinct within a tree,
    and the newest demo row wins, so an orphan from an earlier load is never linked."""
    heads = [cell.head for cell in level if cell.head is not None]
    if not heads:
        return {}
    await Person.bulk_create(
        [Person(name=head.name, mobile=head.mobile, is_demo=True) for head in heads],
        batch_size=INSERT_BATCH,
    )
    mobiles = [head.mobile for head in heads]
    ids: dict[str, int] = {}
    for start in range(0, len(mobiles), READ_CHUNK):
        rows = (
            await Person.filter(mobile__in=mobiles[start : start + READ_CHUNK], is_demo=True)
            .order_by("id")
            .values_list("id", "mobile")
        )
        ids.update({mobile: person_id for person_id, mobile in rows})
    return ids


async def _insert_level(
    level: Sequence[SeedCell], placed: dict[str, _Placed], heads: dict[str, int]
) -> dict[str, _Placed]:
    """Bulk-insert one level, read the new ids back by code (bulk_create does not report them
    on every backend), then write the paths, which need those ids."""
    rows = [_row(cell, placed, heads) for cell in level]
    await GridCell.bulk_create(rows, batch_size=INSERT_BATCH)
    ids = await _placed(cell.code for cell in level)
    for cell, row in zip(level, rows, strict=True):
        row.id = ids[cell.code].id
        parent_path = placed[cell.parent_code].path if cell.parent_code else ""
        row.path = parent_path + path_segment(row.id)
    await GridCell.bulk_update(rows, fields=["path"], batch_size=PATH_BATCH)
    return {row.code: _Placed(row.id, row.path) for row in rows}


def _row(cell: SeedCell, placed: dict[str, _Placed], heads: dict[str, int]) -> GridCell:
    return GridCell(
        kind=cell.kind,
        code=cell.code,
        name=cell.name,
        parent_id=placed[cell.parent_code].id if cell.parent_code else None,
        depth=cell.depth,
        households=cell.households,
        head_id=heads[cell.head.mobile] if cell.head else None,
        code_verified=cell.code_verified,
        is_demo=cell.is_demo,
        households_estimated=cell.households_estimated,
    )


async def _roll_into_existing(
    missing: Sequence[SeedCell], existing: set[str], placed: dict[str, _Placed]
) -> None:
    """Add the households of each inserted subtree whose parent already existed to that parent
    and its ancestors: one UPDATE per distinct amount, none at all on a fresh or complete load."""
    deltas: dict[int, int] = defaultdict(int)
    for cell in missing:
        if cell.parent_code in existing and cell.households:
            for ancestor_id in path_ids(placed[cell.parent_code].path):
                deltas[ancestor_id] += cell.households
    by_amount: dict[int, list[int]] = defaultdict(list)
    for ancestor_id, amount in deltas.items():
        by_amount[amount].append(ancestor_id)
    for amount, ids in by_amount.items():
        await GridCell.filter(id__in=ids).update(
            households=F("households") + amount, households_estimated=True
        )


def _count_by_kind(cells: Iterable[SeedCell]) -> dict[GridKind, int]:
    return dict(Counter(cell.kind for cell in cells))
