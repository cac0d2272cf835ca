"""A deterministic demo grid tree for 平湖市, built around the real divisions in `seeds.pinghu`.

Everything here is pure: the same seed always yields the same tree, so a demo database, a test
and a screenshot agree on every name and number. Every generated row is flagged `is_demo`; only
the divisions listed in `seeds.pinghu` are real.

Shape (docs/domain.md): about 150 communities/villages, 600 grids of 300-500 households each,
about 5,000 micro-grids (a building, lane or hamlet) of 20-100 households, 230,000 households.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate

from domain.grids.codes import GridKind
from seeds import pinghu
from seeds.pinghu import Division

DEFAULT_SEED = 330482


GRID_TOTAL = 600
HOUSEHOLD_TARGET = 230_000
GRID_HOUSEHOLDS = (300, 500)
MICRO_HOUSEHOLDS = (20, 100)
# A grid's households follow a triangle on GRID_HOUSEHOLDS whose mean hits HOUSEHOLD_TARGET:
# most grids sit near the low end, a few large ones approach 500.
GRID_MODE = 3 * HOUSEHOLD_TARGET / GRID_TOTAL - sum(GRID_HOUSEHOLDS)
# A grid's typical micro-grid size is drawn from this range, which keeps ~8 micro-grids a grid.
MICRO_TYPICAL = (35.0, 58.0)
# Relative size of a unit when the grids are shared out: communities are denser than villages.
UNIT_WEIGHT: dict[GridKind, tuple[float, float]] = {
    GridKind.COMMUNITY: (1.2, 2.0),
    GridKind.VILLAGE: (0.6, 1.2),
}
ESTATE_SHARE = 0.65  # share of urban grids that are a housing estate rather than a street

# (communities, villages) per town, the real units included: streets (街道) are mostly urban.
UNIT_MIX: dict[str, tuple[int, int]] = {
    "330482001": (19, 3),
    "330482002": (7, 9),
    "330482003": (4, 10),
    "330482101": (9, 9),
    "330482102": (4, 13),
    "330482103": (4, 12),
    "330482106": (3, 10),
    "330482107": (4, 10),
    "330482108": (5, 15),
}
# Generated units take unit numbers from the top of each range, counting down, so they never take
# a low number a real unit is likely to hold (real codes are handed out upwards from 001 / 201).
TOP_UNIT_NUMBER: dict[GridKind, int] = {GridKind.COMMUNITY: 199, GridKind.VILLAGE: 399}

DEPTH: dict[GridKind, int] = {
    GridKind.CITY: 0,
    GridKind.TOWN: 1,
    GridKind.COMMUNITY: 2,
    GridKind.VILLAGE: 2,
    GridKind.GRID: 3,
    GridKind.MICRO_GRID: 4,
}


def _words(text: str) -> tuple[str, ...]:
    """Name pools are written as space-separated words: far denser to read than list literals."""
    return tuple(text.split())


# Generated units have plainly invented names, so none can pass for (or borrow) a real Pinghu unit:
# the sixty terms of the sexagenary cycle (甲子, 乙丑 ... 癸亥) with 社区 or 村, then 新村.
STEMS = "甲乙丙丁戊己庚辛壬癸"
BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
CYCLE = tuple(STEMS[i % 10] + BRANCHES[i % 12] for i in range(60))
INVENTED_UNIT_NAMES: dict[GridKind, tuple[str, ...]] = {
    GridKind.COMMUNITY: tuple(f"{term}社区" for term in CYCLE),
    GridKind.VILLAGE: tuple(f"{term}{suffix}" for suffix in ("村", "新村") for term in CYCLE),
}
ESTATE_STEMS = _words(
    "梅园 锦绣 金色 东湖 明珠 翠竹 丽都 紫薇 阳光 香樟 银杏 海棠 桂花 嘉和 怡景 新港 乐居 泰和 "
    "景湖 书香 玉兰 凤凰 金都 华府 滨江 天鹅 运河 东方 龙湖 名仕 荷风 清水湾"
)
ESTATE_SUFFIXES = _words("花苑 新村 小区 家园 公寓 雅苑")
ROADS = _words(
    "新民路 人民路 胜利路 建国路 当湖路 环城东路 环城北路 解放路 中山路 东湖路 梅兴路 广场路 "
    "城南路 南河路 北河路 三港路 西大街 东大街 兴平路 百寿路 虹霞路 长胜路 平善路 新华路 东门街 "
    "南市街 北市街 朝阳路"
)
HAMLET_PREFIXES = _words(
    "沈家 陆家 徐家 张家 王家 朱家 金家 顾家 钱家 姚家 俞家 褚家 屠家 蒋家 孙家 吴家 周家 杨家 "
    "李家 冯家 东 西 南 北 前 后 桥西 桥东 河东 河西 庙前 塘北 港南 油车 横塘 长"
)
HAMLET_SUFFIXES = _words("浜 埭 圩 桥 港 湾 宅 兜 汇")
# Natural-village (自然村) names: a family or position prefix and a waterway/settlement suffix.
HAMLETS = [p + s for p in HAMLET_PREFIXES for s in HAMLET_SUFFIXES if s not in p]
SURNAMES = _words("沈 陆 徐 张 王 李 朱 金 顾 陈 钱 吴 周 杨 孙 蒋 姚 俞 屠 褚 冯 马 郁 戴 黄 胡 刘 许 何 曹")
GIVEN_NAMES = _words(
    "伟 芳 敏 静 丽 强 磊 军 勇 艳 杰 娟 涛 明 超 霞 平 刚 华 斌 英 萍 红 燕 峰 健 林 琴 建华 "
    "建国 国平 雪芳 月英 海峰 卫东 美华 秀英 桂英 玉珍 金龙 志明 晓东 丽萍 红英 建明 小红 伟民 "
    "根林 雪琴 海燕 振华 春芳 永林 秋英 国强 建平 凤英 文华 晓燕"
)
MOBILE_SECOND_DIGITS = "3456789"


@dataclass(frozen=True)
class SeedPerson:
    """A generated grid head (网格长); always demo data."""

    name: str
    mobile: str


@dataclass(frozen=True)
class SeedCell:
    """One row of the grid tree to load. `households` is already the subtree total, so the
    loader never has to update a row after inserting it."""

    kind: GridKind
    code: str
    name: str
    parent_code: str | None
    households: int
    is_demo: bool
    code_verified: bool = True
    head: SeedPerson | None = None
    # Every figure of the seeded tree is generated, or sums generated figures.
    households_estimated: bool = True

    @property
    def depth(self) -> int:
        return DEPTH[self.kind]


@dataclass(frozen=True)
class SeedTree:
    """Every cell, parents before children (ordered by depth, then code)."""

    cells: tuple[SeedCell, ...]

    def count(self, kind: GridKind) -> int:
        return sum(1 for cell in self.cells if cell.kind is kind)

    @property
    def households(self) -> int:
        return sum(cell.households for cell in self.cells if cell.kind is GridKind.MICRO_GRID)


def generate(seed: int = DEFAULT_SEED) -> SeedTree:
    """The whole demo tree for `seed`; only iteration over lists, so the result is stable across
    processes (no set or hash ordering leaks in)."""
    rng = random.Random(seed)
    names = {kind: iter(rng.sample(pool, len(pool))) for kind, pool in INVENTED_UNIT_NAMES.items()}
    units = [unit for town in pinghu.TOWNS for unit in _town_units(town, names)]
    grid_counts = _allocate_grids(rng, units)
    people = _PeopleFactory(rng)
    below_towns = [
        cell
        for unit, grids in zip(units, grid_counts, strict=True)
        for cell in _unit_subtree(rng, unit, grids, people)
    ]
    upper = _rolled_up((pinghu.CITY, *pinghu.TOWNS), below_towns)
    return SeedTree(tuple(sorted([*upper, *below_towns], key=lambda c: (c.depth, c.code))))


def _town_units(town: Division, names: dict[GridKind, Iterator[str]]) -> list[Division]:
    """The town's real units plus generated ones up to its UNIT_MIX, on the highest free unit
    numbers, named from the city-wide pools of invented names."""
    real = [unit for unit in pinghu.UNITS if unit.parent_code == town.code]
    taken_numbers = [int(unit.code[-3:]) for unit in real]
    generated: list[Division] = []
    for kind, wanted in zip((GridKind.COMMUNITY, GridKind.VILLAGE), UNIT_MIX[town.code], strict=True):
        missing = wanted - sum(1 for unit in real if unit.kind is kind)
        numbers = _free_numbers(TOP_UNIT_NUMBER[kind], missing, taken_numbers)
        generated += [
            Division(f"{town.code}{number:03d}", next(names[kind]), kind, town.code) for number in numbers
        ]
    return sorted([*real, *generated], key=lambda unit: unit.code)


def _free_numbers(top: int, count: int, taken: Sequence[int]) -> list[int]:
    """The first `count` unit numbers counting down from `top` that no real unit already holds."""
    numbers: list[int] = []
    candidate = top
    while len(numbers) < count:
        if candidate not in taken:
            numbers.append(candidate)
        candidate -= 1
    return numbers


def _allocate_grids(rng: random.Random, units: Sequence[Division]) -> list[int]:
    """Share exactly GRID_TOTAL grids among the units by random weight (largest remainder), so
    the city-wide count does not drift with the seed."""
    weights = [rng.uniform(*UNIT_WEIGHT[unit.kind]) for unit in units]
    shares = [GRID_TOTAL * weight / sum(weights) for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(units)), key=lambda i: counts[i] - shares[i])
    for i in by_remainder[: GRID_TOTAL - sum(counts)]:
        counts[i] += 1
    return counts


def _unit_subtree(rng: random.Random, unit: Division, grids: int, people: _PeopleFactory) -> list[SeedCell]:
    """The unit, its grids (each with a head) and their micro-grids, households summed upwards."""
    sizes = [_micro_sizes(rng) for _ in range(grids)]
    names = _urban_names(rng, sizes) if unit.kind is GridKind.COMMUNITY else _rural_names(rng, sizes)
    cells: list[SeedCell] = []
    for number, (grid_sizes, grid_names) in enumerate(zip(sizes, names, strict=True), start=1):
        code = f"{unit.code}{number:03d}"
        micros = [
            SeedCell(GridKind.MICRO_GRID, f"{code}{j:02d}", name, code, size, is_demo=True)
            for j, (size, name) in enumerate(zip(grid_sizes, grid_names, strict=True), start=1)
        ]
        grid = SeedCell(
            GridKind.GRID,
            code,
            f"第{number}网格",
            unit.code,
            sum(grid_sizes),
            is_demo=True,
            head=people.next(),
        )
        cells += [grid, *micros]
    return [*_rolled_up((unit,), cells), *cells]


def _micro_sizes(rng: random.Random) -> list[int]:
    """Households of one grid's micro-grids: the grid total is drawn first so every grid lands
    in GRID_HOUSEHOLDS, then split into parts that each stay in MICRO_HOUSEHOLDS."""
    low, high = MICRO_HOUSEHOLDS
    total = round(rng.triangular(*GRID_HOUSEHOLDS, GRID_MODE))
    typical = rng.uniform(*MICRO_TYPICAL)
    count = max(math.ceil(total / high), min(total // low, round(total / typical)))
    return _partition(rng, total, count)


def _partition(rng: random.Random, total: int, count: int) -> list[int]:
    """`count` parts in MICRO_HOUSEHOLDS summing to `total` (requires low*count <= total <=
    high*count): proportional shares of the spare above the floor, rounding handed out last."""
    low, high = MICRO_HOUSEHOLDS
    weights = [rng.uniform(0.3, 1.7) for _ in range(count)]
    spare = total - low * count
    sizes = [min(high, low + int(spare * weight / sum(weights))) for weight in weights]
    short = total - sum(sizes)
    while short:
        for i in range(count):
            if short and sizes[i] < high:
                sizes[i] += 1
                short -= 1
    return sizes


def _urban_names(rng: random.Random, sizes: Sequence[Sequence[int]]) -> list[list[str]]:
    """A community grid is a housing estate (its buildings: 梅园新村3幢) or a street (its lanes:
    新民路12弄); no two grids of a community share an estate or street."""
    is_estate = [rng.random() < ESTATE_SHARE for _ in sizes]
    estates = iter(stem + rng.choice(ESTATE_SUFFIXES) for stem in rng.sample(ESTATE_STEMS, sum(is_estate)))
    roads = iter(rng.sample(ROADS, len(sizes) - sum(is_estate)))
    names: list[list[str]] = []
    for grid_sizes, estate in zip(sizes, is_estate, strict=True):
        if estate:
            place = next(estates)
            names.append([f"{place}{n}幢" for n in range(1, len(grid_sizes) + 1)])
        else:
            road, steps = next(roads), [rng.randint(1, 6) for _ in grid_sizes]
            lanes = list(accumulate(steps, initial=rng.randint(0, 20)))[1:]
            names.append([f"{road}{n}弄" for n in lanes])
    return names


def _rural_names(rng: random.Random, sizes: Sequence[Sequence[int]]) -> list[list[str]]:
    """A village's micro-grids are its natural hamlets, distinct across the whole village."""
    hamlets = iter(rng.sample(HAMLETS, sum(len(grid_sizes) for grid_sizes in sizes)))
    return [[next(hamlets) for _ in grid_sizes] for grid_sizes in sizes]


def _rolled_up(divisions: Sequence[Division], below: Sequence[SeedCell]) -> list[SeedCell]:
    """Cells for `divisions` whose households are the sum of the micro-grids in `below` that
    lie under them (matched by code prefix, which the code rules guarantee)."""
    micro = [cell for cell in below if cell.kind is GridKind.MICRO_GRID]
    totals = {d.code: sum(c.households for c in micro if c.code.startswith(d.code)) for d in divisions}
    return [
        SeedCell(
            division.kind,
            division.code,
            division.name,
            division.parent_code,
            totals[division.code],
            is_demo=division not in pinghu.REAL_DIVISIONS,
            code_verified=division.code_verified,
        )
        for division in divisions
    ]


class _PeopleFactory:
    """Grid heads with common local names and distinct, well-formed mobile numbers."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._mobiles: set[str] = set()

    def next(self) -> SeedPerson:
        name = self._rng.choice(SURNAMES) + self._rng.choice(GIVEN_NAMES)
        mobile = self._mobile()
        while mobile in self._mobiles:
            mobile = self._mobile()
        self._mobiles.add(mobile)
        return SeedPerson(name, mobile)

    def _mobile(self) -> str:
        return f"1{self._rng.choice(MOBILE_SECOND_DIGITS)}{self._rng.randrange(10**9):09d}"
