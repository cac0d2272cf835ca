"""Use cases that change the grid tree."""

from __future__ import annotations

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.access import Actor
from domain.audit import service as audit
from domain.errors import ErrorCode, NotFound, ValidationError
from domain.grids import policy, queries
from domain.grids.codes import GridKind, validate_code
from domain.grids.models import GridCell, path_ids, path_segment

MAX_HOUSEHOLDS = 99_999


def _clean_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not 1 <= len(name) <= 100:
        raise ValidationError(ErrorCode.INVALID_NAME, "名称须为 1–100 个字符", ["name"])
    return name


def _check_households(value: int) -> int:
    if not 0 <= value <= MAX_HOUSEHOLDS:
        raise ValidationError(
            ErrorCode.HOUSEHOLDS_OUT_OF_RANGE, f"户数须在 0 到 {MAX_HOUSEHOLDS} 之间", ["households"]
        )
    return value


async def create_cell(
    *,
    actor: Actor,
    kind: GridKind,
    code: str,
    name: str,
    parent_id: int | None = None,
    households: int = 0,
    code_verified: bool = True,
    is_demo: bool = False,
) -> GridCell:
    """Add a cell under `parent_id`; its households roll up into every ancestor."""
    policy.require_create(actor)
    parent = await queries.cell_by_id(parent_id) if parent_id is not None else None
    validate_code(code, kind, parent.code if parent else None, parent.kind if parent else None)
    if parent is not None and parent.retired:
        raise ValidationError(ErrorCode.RETIRED, "上级单元已撤销", ["parent"])
    if await GridCell.filter(code=code).exists():
        raise ValidationError(ErrorCode.DUPLICATE_CODE, f"编码 {code} 已存在", ["code"])
    clean_name, count = _clean_name(name), _check_households(households)
    async with in_transaction():
        cell = await GridCell.create(
            kind=kind,
            code=code,
            name=clean_name,
            parent_id=parent_id,
            depth=parent.depth + 1 if parent else 0,
            households=count,
            code_verified=code_verified,
            is_demo=is_demo,
        )
        cell.path = (parent.path if parent else "") + path_segment(cell.id)
        await cell.save(update_fields=["path"])
        if parent is not None and count:
            await _add_to_ancestors(parent.path, count)
        await audit.record(actor, "grid.create", "GridCell", cell.id, code=code, name=clean_name)
    return cell


async def update_cell(
    *, actor: Actor, cell_id: int, name: str | None = None, households: int | None = None
) -> GridCell:
    """Rename a cell and/or set a leaf's households; ancestors' totals follow in the same
    transaction. An inner cell's households are derived and cannot be set."""
    async with in_transaction():
        cell = await GridCell.select_for_update().get_or_none(id=cell_id)
        if cell is None:
            raise NotFound("网格单元不存在", ["id"])
        policy.require_update(actor, cell)
        if cell.retired:
            raise ValidationError(ErrorCode.RETIRED, "该单元已撤销，不能修改", ["id"])
        if name is not None:
            cell.name = _clean_name(name)
        delta = 0
        if households is not None:
            if await queries.has_children(cell.id):
                raise ValidationError(
                    ErrorCode.HOUSEHOLDS_DERIVED, "该单元的户数由下级汇总，请修改下级单元", ["households"]
                )
            delta = _check_households(households) - cell.households
            cell.households = households
        changes = _changes(cell, name, households)
        await cell.save()
        if delta and cell.parent_id is not None:
            await _add_to_ancestors(cell.path[: -len(path_segment(cell.id))], delta)
        await audit.record(actor, "grid.update", "GridCell", cell.id, code=cell.code, **changes)
    return cell


def _changes(cell: GridCell, name: str | None, households: int | None) -> dict[str, object]:
    return {
        key: value
        for key, value in (("name", cell.name if name is not None else None), ("households", households))
        if value is not None
    }


async def _add_to_ancestors(parent_path: str, delta: int) -> None:
    await GridCell.filter(id__in=path_ids(parent_path)).update(households=F("households") + delta)
