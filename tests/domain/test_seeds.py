"""The 平湖市 grid seeds: real divisions exactly as documented, a plausible generated tree around
them, and a loader that keeps every tree invariant and can run any number of times."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

import pytest
from tortoise.expressions import F

from domain.activities.models import Activity
from domain.grids.codes import GridKind, validate_code
from domain.grids.models import GridCell, path_ids, path_segment
from domain.leaders.models import MicroLeader
from domain.people.models import Person
from seeds import load_all, load_grid_seeds, pinghu
from seeds.generate import DEFAULT_SEED, generate
from seeds.loader import StaleDemoData
from tests.conftest import SqlLog

MOBILE = re.compile(r"^1[3-9]\d{9}$")
HOUSEHOLDS = (230_000 * 0.97, 230_000 * 1.03)
UNITS = (140, 160)
GRIDS = (550, 650)
MICRO_GRIDS = (4_500, 5_500)
UNIT_KINDS = (GridKind.COMMUNITY, GridKind.VILLAGE)

TOWNS = {
    "330482001": "当湖街道",
    "330482002": "钟埭街道",
    "330482003": "曹桥街道",
    "330482101": "乍浦镇",
    "330482102": "新埭镇",
    "330482103": "新仓镇",
    "330482106": "广陈镇",
    "330482107": "林埭镇",
    "330482108": "独山港镇",
}
VERIFIED_UNITS = {
    "330482001005": ("南河头社区", "330482001"),
    "330482101025": ("天妃社区", "330482101"),
    "330482108216": ("前进村", "330482108"),
}


def _between(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


# --- the generator (pure, no database) ---------------------------------------------------------


def test_generation_is_deterministic() -> None:
    assert generate() == generate(DEFAULT_SEED)
    assert generate(1) != generate(2)


@pytest.mark.parametrize("seed", [DEFAULT_SEED, 1, 2])
def test_generated_tree_has_the_documented_shape(seed: int) -> None:
    tree = generate(seed)
    assert _between(tree.count(GridKind.COMMUNITY) + tree.count(GridKind.VILLAGE), UNITS)
    assert _between(tree.count(GridKind.GRID), GRIDS)
    assert _between(tree.count(GridKind.MICRO_GRID), MICRO_GRIDS)
    assert _between(tree.households, HOUSEHOLDS)
    for cell in tree.cells:
        if cell.kind is GridKind.GRID:
            assert 300 <= cell.households <= 500, cell
        if cell.kind is GridKind.MICRO_GRID:
            assert 20 <= cell.households <= 100, cell
    assert len({cell.code for cell in tree.cells}) == len(tree.cells)


@pytest.mark.parametrize("seed", [DEFAULT_SEED, 1])
def test_generated_names_are_unique_where_people_look_them_up(seed: int) -> None:
    tree = generate(seed)
    units_per_town = Counter((c.parent_code, c.name) for c in tree.cells if c.kind in UNIT_KINDS)
    assert max(units_per_town.values()) == 1
    # Micro-grid names are unique within their community or village (code prefix = unit code).
    micro_per_unit = Counter((c.code[:12], c.name) for c in tree.cells if c.kind is GridKind.MICRO_GRID)
    assert max(micro_per_unit.values()) == 1
    assert {c.name for c in tree.cells if c.kind is GridKind.GRID} >= {"第1网格", "第2网格"}


def test_every_grid_has_a_demo_head_with_a_valid_distinct_mobile() -> None:
    heads = [cell.head for cell in generate().cells if cell.kind is GridKind.GRID]
    mobiles = [head.mobile for head in heads if head is not None]
    assert len(mobiles) == len(heads)
    assert len(set(mobiles)) == len(mobiles)
    assert all(MOBILE.match(mobile) for mobile in mobiles)


def test_real_unit_codes_are_kept_and_never_reused() -> None:
    by_code = {cell.code: cell for cell in generate().cells}
    for division in pinghu.REAL_DIVISIONS:
        cell = by_code[division.code]
        assert (cell.name, cell.kind, cell.is_demo) == (division.name, division.kind, False)
    assert by_code[pinghu.QIYUAN.code].code_verified is False
    assert set(pinghu.NOTES) <= set(by_code)


@pytest.mark.parametrize("seed", [DEFAULT_SEED, 1])
def test_generated_units_have_invented_names_on_the_top_numbers_of_their_range(seed: int) -> None:
    # Names: the sexagenary cycle (甲子社区, 乙丑村, 丙寅新村 ...), which no real unit borrows;
    # the names the assessment found in the wrong towns are gone.
    terms = {s + b for s in "甲乙丙丁戊己庚辛壬癸" for b in "子丑寅卯辰巳午未申酉戌亥"}
    tree = generate(seed)
    real = {division.code for division in pinghu.REAL_DIVISIONS}
    generated = [c for c in tree.cells if c.kind in UNIT_KINDS and c.code not in real]
    for unit in generated:
        suffixes = ("社区",) if unit.kind is GridKind.COMMUNITY else ("新村", "村")
        suffix = next(s for s in suffixes if unit.name.endswith(s))
        assert unit.name.removesuffix(suffix) in terms, unit
        assert unit.is_demo
    names = {c.name for c in tree.cells}
    assert names.isdisjoint({"大齐塘村", "三叉河村", "虹霓村"})
    # Codes: each town's generated units count down from 199 (communities) and 399 (villages),
    # skipping the real units' numbers, so a low number a real unit may hold stays free.
    for town in pinghu.TOWNS:
        for kind, top in ((GridKind.COMMUNITY, 199), (GridKind.VILLAGE, 399)):
            numbers = sorted(
                (int(u.code[-3:]) for u in generated if u.parent_code == town.code and u.kind is kind),
                reverse=True,
            )
            taken = {int(d.code[-3:]) for d in pinghu.UNITS if d.parent_code == town.code}
            expected = [n for n in range(top, top - len(numbers) - len(taken) - 1, -1) if n not in taken]
            assert numbers == expected[: len(numbers)], (town.name, kind)
            assert min(numbers) > top - 60


# --- the loader (SQLite and PostgreSQL) --------------------------------------------------------


async def _rows() -> list[dict[str, Any]]:
    fields = "id kind code name parent_id path depth households head_id code_verified is_demo"
    return await GridCell.all().values(*fields.split())


async def test_load_puts_the_real_divisions_in_place(db: None) -> None:
    await load_all()
    city = await GridCell.get(code=pinghu.CITY.code)
    assert (city.name, city.kind, city.parent_id, city.is_demo) == ("平湖市", GridKind.CITY, None, False)
    towns = await GridCell.filter(kind=GridKind.TOWN).order_by("code")
    assert {t.code: t.name for t in towns} == TOWNS
    assert all(t.parent_id == city.id and not t.is_demo for t in towns)
    town_ids = {t.code: t.id for t in towns}
    for code, (name, town_code) in VERIFIED_UNITS.items():
        unit = await GridCell.get(code=code)
        expected = (name, town_ids[town_code], True, False)
        assert (unit.name, unit.parent_id, unit.code_verified, unit.is_demo) == expected
    qiyuan = await GridCell.get(name="启元社区")
    assert qiyuan.parent_id == town_ids["330482001"]
    assert qiyuan.kind is GridKind.COMMUNITY
    assert 1 <= int(qiyuan.code[-3:]) <= 199
    assert (qiyuan.code_verified, qiyuan.is_demo) == (False, False)


async def test_loaded_tree_keeps_every_invariant(db: None, sql_log: SqlLog) -> None:
    # The grid loader alone: the demo accounts that load_all adds go through the account service.
    report = await load_grid_seeds()
    assert sql_log.count < 100, "the loader must work in bulk, not row by row"
    rows = await _rows()
    _assert_shape(rows)
    _assert_codes_paths_and_depths(rows)
    _assert_rollups(rows)
    assert report.cells == Counter(GridKind(row["kind"]) for row in rows)
    real = {division.code for division in pinghu.REAL_DIVISIONS}
    assert all(row["is_demo"] == (row["code"] not in real) for row in rows)
    heads = await Person.filter(id__in=[row["head_id"] for row in rows if row["head_id"]])
    assert len(heads) == report.people == sum(1 for r in rows if r["kind"] == GridKind.GRID)
    assert all(head.is_demo and MOBILE.match(head.mobile or "") for head in heads)


def _assert_shape(rows: list[dict[str, Any]]) -> None:
    kinds = Counter(GridKind(row["kind"]) for row in rows)
    assert (kinds[GridKind.CITY], kinds[GridKind.TOWN]) == (1, 9)
    assert _between(kinds[GridKind.COMMUNITY] + kinds[GridKind.VILLAGE], UNITS)
    assert _between(kinds[GridKind.GRID], GRIDS)
    assert _between(kinds[GridKind.MICRO_GRID], MICRO_GRIDS)


def _assert_codes_paths_and_depths(rows: list[dict[str, Any]]) -> None:
    by_id = {row["id"]: row for row in rows}
    for row in rows:
        parent = by_id.get(row["parent_id"])
        validate_code(
            row["code"],
            GridKind(row["kind"]),
            parent["code"] if parent else None,
            GridKind(parent["kind"]) if parent else None,
        )
        assert row["path"] == (parent["path"] if parent else "") + path_segment(row["id"])
        assert row["depth"] == (parent["depth"] + 1 if parent else 0)


def _assert_rollups(rows: list[dict[str, Any]]) -> None:
    children: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["parent_id"] is not None:
            children[row["parent_id"]].append(row)
    for row in rows:
        if row["kind"] == GridKind.MICRO_GRID:
            assert row["id"] not in children
            assert 20 <= row["households"] <= 100
        else:
            assert children[row["id"]], f"{row['code']} has no children"
            assert row["households"] == sum(c["households"] for c in children[row["id"]])
    city = next(row for row in rows if row["kind"] == GridKind.CITY)
    micro = sum(row["households"] for row in rows if row["kind"] == GridKind.MICRO_GRID)
    assert city["households"] == micro
    assert _between(micro, HOUSEHOLDS)


async def test_second_load_changes_nothing(db: None, sql_log: SqlLog) -> None:
    await load_all()
    before = await _rows()
    people = await Person.all().count()
    sql_log.reset()
    report = await load_all()
    # one read per loader (grids, accounts, leaders, activities, organisations, calendar, funding),
    # and the activity loader's second: whether old demo records were typed under a reviewing
    # account (`StaleDemoData`)
    assert sql_log.count == 8, "complete seeds should cost one read per loader"
    assert report.inserted == 0
    assert await _rows() == before
    assert await Person.all().count() == people


async def test_reload_restores_a_missing_subtree_and_its_rollups(db: None) -> None:
    """A cell removed consistently (its households taken off its ancestors) comes back on the
    next load, and the ancestors' totals with it."""
    await load_all()
    before = await _rows()
    # A micro-grid nothing else refers to (no leader lives there, no activity was logged there).
    referenced = {
        *await MicroLeader.all().values_list("home_cell_id", flat=True),
        *await Activity.all().values_list("cell_id", flat=True),
    }
    leaf = (
        await GridCell.filter(kind=GridKind.MICRO_GRID)
        .exclude(id__in=list(referenced))
        .order_by("code")
        .first()
    )
    assert leaf is not None
    await GridCell.filter(id__in=path_ids(leaf.path)[:-1]).update(
        households=F("households") - leaf.households
    )
    await leaf.delete()
    report = await load_all()
    assert report.cells == {GridKind.MICRO_GRID: 1}
    assert report.people == 0
    after = await _rows()
    _assert_codes_paths_and_depths(after)
    _assert_rollups(after)
    strip = ("id", "path")
    assert [{k: v for k, v in r.items() if k not in strip} for r in after] == [
        {k: v for k, v in r.items() if k not in strip} for r in before
    ]


async def test_seeding_over_an_older_demo_tree_is_refused_with_what_to_do(db: None) -> None:
    # GIVEN a database seeded by an older generator (a demo unit on a code the tree does not make)
    town = await GridCell.create(
        kind=GridKind.TOWN, code="330482001", name="当湖街道", parent=None, path="x", depth=1
    )
    await GridCell.create(
        kind=GridKind.VILLAGE,
        code="330482001201",
        name="大齐塘村",
        parent=town,
        path="y",
        depth=2,
        is_demo=True,
    )

    # WHEN the seeds are loaded THEN they refuse, name the way out, and add nothing
    with pytest.raises(StaleDemoData, match=r"data/linzhi\.sqlite3"):
        await load_all()
    assert await GridCell.all().count() == 2
