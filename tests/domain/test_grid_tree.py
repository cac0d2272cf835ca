"""The grid tree: paths, rollups, reads and the update use case, on both databases."""

from __future__ import annotations

import pytest

from domain.errors import ErrorCode, NotFound, ValidationError
from domain.grids import queries, service
from domain.grids.codes import GridKind
from domain.grids.models import GridCell, path_segment
from domain.pagination import PageRequest
from tests.factories import BUREAU, build_tree, cell, reload

pytestmark = pytest.mark.usefixtures("db")


async def test_path_is_the_parent_path_plus_the_cell_id() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    micro = tree.micro_grids[0]
    assert micro.path == tree.grids[0].path + path_segment(micro.id)
    assert micro.ancestor_ids == [tree.city.id, tree.town.id, tree.community.id, tree.grids[0].id]
    assert micro.depth == 4


async def test_households_roll_up_to_every_ancestor() -> None:
    tree = await build_tree(grids=2, micro_grids_per_grid=3, households=40)
    assert (await reload(tree.grids[0])).households == 120
    assert (await reload(tree.community)).households == 240
    assert (await reload(tree.city)).households == 240
    assert (await reload(tree.village)).households == 0


async def test_updating_a_leaf_moves_every_ancestor_total_by_the_difference() -> None:
    tree = await build_tree(grids=2, micro_grids_per_grid=2, households=50)
    updated = await service.update_cell(actor=BUREAU, cell_id=tree.micro_grids[0].id, households=80)
    assert updated.households == 80
    assert (await reload(tree.grids[0])).households == 130
    assert (await reload(tree.grids[1])).households == 100
    assert (await reload(tree.town)).households == 230
    assert (await reload(tree.city)).households == 230


async def test_inner_cells_refuse_a_households_value_and_nothing_changes() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=2, households=30)
    with pytest.raises(ValidationError) as raised:
        await service.update_cell(actor=BUREAU, cell_id=tree.grids[0].id, households=999, name="改名")
    assert raised.value.code is ErrorCode.HOUSEHOLDS_DERIVED
    grid = await reload(tree.grids[0])
    assert (grid.households, grid.name) == (60, "第1网格")
    assert (await reload(tree.city)).households == 60


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"households": -1}, ErrorCode.HOUSEHOLDS_OUT_OF_RANGE),
        ({"households": 100_000}, ErrorCode.HOUSEHOLDS_OUT_OF_RANGE),
        ({"name": "   "}, ErrorCode.INVALID_NAME),
        ({"name": "长" * 101}, ErrorCode.INVALID_NAME),
    ],
)
async def test_bad_updates_are_refused_and_change_nothing(
    changes: dict[str, object], error: ErrorCode
) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1, households=30)
    micro = tree.micro_grids[0]
    with pytest.raises(ValidationError) as raised:
        await service.update_cell(actor=BUREAU, cell_id=micro.id, **changes)  # type: ignore[arg-type]
    assert raised.value.code is error
    after = await reload(micro)
    assert (after.name, after.households) == (micro.name, 30)
    assert (await reload(tree.city)).households == 30


async def test_renaming_trims_and_collapses_spaces() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    renamed = await service.update_cell(actor=BUREAU, cell_id=tree.community.id, name="  南河头  社区 ")
    assert renamed.name == "南河头 社区"


async def test_updating_an_unknown_cell_is_not_found() -> None:
    with pytest.raises(NotFound):
        await service.update_cell(actor=BUREAU, cell_id=424242, name="x")


async def test_creating_a_cell_checks_code_parent_and_duplicates() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    with pytest.raises(ValidationError) as wrong_prefix:
        await cell(GridKind.GRID, "330482001006001", "错网格", tree.community)
    assert wrong_prefix.value.code is ErrorCode.INVALID_CODE
    with pytest.raises(ValidationError) as duplicate:
        await cell(GridKind.GRID, tree.grids[0].code, "重复", tree.community)
    assert duplicate.value.code is ErrorCode.DUPLICATE_CODE
    assert await GridCell.filter(parent_id=tree.community.id).count() == 1


async def test_subtree_stats_count_every_kind_below_a_cell() -> None:
    tree = await build_tree(grids=2, micro_grids_per_grid=3)
    stats = await queries.subtree_stats([tree.city.path, tree.community.path, tree.micro_grids[0].path])
    city = stats[tree.city.path]
    assert city.counts == {
        GridKind.TOWN: 1,
        GridKind.COMMUNITY: 1,
        GridKind.VILLAGE: 1,
        GridKind.GRID: 2,
        GridKind.MICRO_GRID: 6,
    }
    assert stats[tree.community.path].counts == {GridKind.GRID: 2, GridKind.MICRO_GRID: 6}
    assert stats[tree.micro_grids[0].path].total == 0


async def test_subtree_stats_leave_out_retired_cells() -> None:
    tree = await build_tree(grids=2, micro_grids_per_grid=1)
    await GridCell.filter(id__in=[tree.grids[1].id, tree.micro_grids[1].id]).update(retired=True)
    stats = await queries.subtree_stats([tree.community.path])
    assert stats[tree.community.path].counts == {GridKind.GRID: 1, GridKind.MICRO_GRID: 1}


async def test_ancestors_run_from_the_root_down() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    names = [c.name for c in await queries.ancestors(tree.micro_grids[0])]
    assert names == ["平湖市", "当湖街道", "南河头社区", "第1网格"]


async def test_children_and_counts_skip_retired_cells() -> None:
    tree = await build_tree(grids=3, micro_grids_per_grid=0)
    await GridCell.filter(id=tree.grids[2].id).update(retired=True)
    children = await queries.children_of([tree.community.id, tree.town.id])
    assert [c.code for c in children[tree.community.id]] == [g.code for g in tree.grids[:2]]
    assert [c.name for c in children[tree.town.id]] == ["南河头社区", "演示村"]
    counts = await queries.child_counts([tree.community.id, tree.grids[0].id])
    assert counts == {tree.community.id: 2}


async def test_a_retired_code_stays_readable() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    await GridCell.filter(id=tree.grids[0].id).update(retired=True)
    found = await queries.cell_by_code(tree.grids[0].code)
    assert found is not None
    assert found.retired


async def test_pages_walk_forwards_and_backwards_without_gaps() -> None:
    tree = await build_tree(grids=7, micro_grids_per_grid=0)
    codes = [g.code for g in tree.grids]
    only_grids = queries.GridCellFilter(kinds=(GridKind.GRID,))
    first = await queries.cells_page(only_grids, PageRequest(first=3))
    second = await queries.cells_page(only_grids, PageRequest(first=3, after=first.key_of(first.items[-1])))
    third = await queries.cells_page(only_grids, PageRequest(first=3, after=second.key_of(second.items[-1])))
    assert [c.code for c in first.items + second.items + third.items] == codes
    assert (first.has_next, second.has_next, third.has_next) == (True, True, False)
    back = await queries.cells_page(only_grids, PageRequest(last=2, before=(codes[3],)))
    assert [c.code for c in back.items] == codes[1:3]
    assert back.has_previous


async def test_search_matches_name_or_code_prefix() -> None:
    tree = await build_tree(grids=2, micro_grids_per_grid=0)
    by_name = await queries.cells_page(queries.GridCellFilter(search="南河"), PageRequest(first=10))
    assert [c.id for c in by_name.items] == [tree.community.id]
    by_code = await queries.cells_page(queries.GridCellFilter(search="330482001005"), PageRequest(first=10))
    assert [c.code for c in by_code.items] == [tree.community.code, *(g.code for g in tree.grids)]
    assert await queries.cells_count(queries.GridCellFilter(search="330482001005")) == 3


@pytest.mark.parametrize(
    "request_", [PageRequest(first=101), PageRequest(first=-1), PageRequest(first=1, last=1)]
)
async def test_bad_page_requests_are_refused(request_: PageRequest) -> None:
    with pytest.raises(ValidationError):
        await queries.cells_page(queries.GridCellFilter(), request_)
