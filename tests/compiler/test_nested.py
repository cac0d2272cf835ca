"""Nested connections and lists below the root (`GridCell.children`, `GridCell.activities`,
`ancestors`, `subtree`) compile into the one statement and answer exactly what the resolvers
answer: the same pages, cursors, totals and visibility, for every kind of actor, on both
databases; invalid nested arguments are left to the resolvers, which report them."""

from __future__ import annotations

from typing import Any

import pytest

from domain import sql as domain_sql
from domain.grids.codes import GridKind
from domain.grids.models import GridCell
from tests.api.graphql import global_id
from tests.compiler.conftest import RESOLVERS, App, World, build_world, canonical, compare
from tests.conftest import SqlLog
from tests.factories import build_tree, cell
from tests.factories_activities import hours_ago

ACTORS = ("anonymous", "resident", "author", "staff", "far_staff", "bureau")

CHILDREN = """
query ($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  gridCell(id: $id) {
    code
    children(first: $first, after: $after, last: $last, before: $before) {
      __typename totalCount
      pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
      edges { __typename cursor node { code name } }
      nodes { id code kind depth retired parent { code } }
    }
  }
}
"""

CELL_FEED = """
query ($id: ID!, $first: Int, $after: String, $last: Int, $before: String, $filter: ActivityFilter) {
  gridCell(id: $id) {
    code
    activities(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id title status startedAt activityType cell { code } leader { name } } }
      nodes { title }
    }
  }
}
"""

LIST_FEEDS = """
{ gridCells(first: 20) { nodes { code kind activities(first: 3) {
    totalCount nodes { title status cell { code } } pageInfo { hasNextPage hasPreviousPage endCursor } } } } }
"""

DEPTH_THREE = """
query ($id: ID!) {
  gridCell(id: $id) {
    code
    children {
      totalCount
      nodes {
        code
        children(first: 5) {
          totalCount
          nodes {
            code
            activities(first: 2, filter: {statuses: [VERIFIED, SUBMITTED, DRAFT]}) {
              totalCount edges { cursor node { title status } } pageInfo { hasNextPage endCursor }
            }
          }
        }
      }
    }
  }
}
"""

DEPTH_FOUR = """
query ($id: ID!) {
  gridCell(id: $id) { children(first: 2) { nodes { children(first: 2) { nodes { children(first: 2) { nodes {
    code activities(first: 2) { totalCount nodes { title } } } } } } } } }
}
"""

TREE = """
query ($id: ID!) {
  gridCell(id: $id) {
    code
    ancestors { __typename id code kind ancestors { code } }
    subtree { __typename total byKind { __typename kind label count } }
    parent { code subtree { total } }
  }
  gridCells(first: 20) { nodes { code ancestors { code } subtree { total byKind { kind count } } } }
}
"""


async def check(
    app: App,
    sql_log: SqlLog,
    world: World,
    query: str,
    variables: dict[str, Any],
    actors: tuple[str, ...] = ACTORS,
) -> dict[str, Any]:
    """Both paths agree for each actor, the compiled one in one statement; the last answer."""
    actual: dict[str, Any] = {}
    for actor in actors:
        expected, actual, statements = await compare(app, sql_log, query, variables, world.headers[actor])
        assert actual.get("extensions") == {"readPath": "compiled"}, (actor, actual)
        assert canonical(actual) == canonical(expected), actor
        assert statements == 1, (actor, statements)
    return actual


async def nested_world() -> World:
    """The compiler tests' world, plus a retired micro-grid (left out of children and counts)."""
    world = await build_world()
    grid = world.cast.tree.grids[1]
    retired = await cell(GridKind.MICRO_GRID, f"{grid.code}09", "已撤销微网格", grid)
    await GridCell.filter(id=retired.id).update(retired=True)
    return world


async def test_children_page_forwards_and_backwards_with_cursors(app: App, sql_log: SqlLog) -> None:
    # GIVEN the world: a town with a community and a village, a community with two grids, a grid
    # with two active micro-grids and a retired one
    world = await nested_world()
    tree = world.cast.tree
    town, grid = global_id("GridCell", tree.town.id), global_id("GridCell", tree.grids[1].id)
    # WHEN the children are paged forwards and backwards, by the cursors each page gives
    for cell_id in (town, grid, global_id("GridCell", tree.micro_grids[0].id)):
        await check(app, sql_log, world, CHILDREN, {"id": cell_id}, ("anonymous", "staff"))
    first = await check(app, sql_log, world, CHILDREN, {"id": town, "first": 1}, ("anonymous",))
    end = first["data"]["gridCell"]["children"]["pageInfo"]["endCursor"]
    second = await check(
        app, sql_log, world, CHILDREN, {"id": town, "first": 1, "after": end}, ("anonymous",)
    )
    last = await check(app, sql_log, world, CHILDREN, {"id": town, "last": 1}, ("anonymous",))
    start = last["data"]["gridCell"]["children"]["pageInfo"]["startCursor"]
    before = await check(app, sql_log, world, CHILDREN, {"id": town, "last": 5, "before": start}, ("bureau",))
    for variables in ({"first": 0}, {"last": 0}, {"first": 1, "after": end, "before": start}):
        await check(app, sql_log, world, CHILDREN, {"id": town, **variables}, ("anonymous",))
    # THEN (in `check`) every page is the resolvers' page; they walk the children in code order
    assert [n["code"] for n in first["data"]["gridCell"]["children"]["nodes"]] == [tree.community.code]
    assert second["data"]["gridCell"]["children"]["nodes"][0]["code"] == tree.village.code
    assert second["data"]["gridCell"]["children"]["pageInfo"] == {
        "__typename": "PageInfo",
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": start,
        "endCursor": start,
    }
    assert [n["code"] for n in before["data"]["gridCell"]["children"]["nodes"]] == [tree.community.code]
    assert before["data"]["gridCell"]["children"]["totalCount"] == 2
    retired = await app.post(CHILDREN, {"id": grid})
    assert retired["data"]["gridCell"]["children"]["totalCount"] == 2  # the retired one left out


async def test_a_cells_feed_at_every_level_with_filters_and_paging(app: App, sql_log: SqlLog) -> None:
    # GIVEN records in every status under both grids
    world = await nested_world()
    tree, cast = world.cast.tree, world.cast
    community = global_id("GridCell", tree.community.id)
    # WHEN each actor reads the feed of a city, town, community, grid and micro-grid row
    for root in (tree.city, tree.town, tree.community, tree.grids[1], tree.micro_grids[0], tree.village):
        await check(app, sql_log, world, CELL_FEED, {"id": global_id("GridCell", root.id), "first": 4})
    # ... pages through it both ways
    page = await app.post(CELL_FEED, {"id": community, "first": 3}, **world.headers["staff"])
    end = page["data"]["gridCell"]["activities"]["pageInfo"]["endCursor"]
    await check(app, sql_log, world, CELL_FEED, {"id": community, "first": 3, "after": end})
    await check(app, sql_log, world, CELL_FEED, {"id": community, "last": 2, "before": end})
    await check(app, sql_log, world, CELL_FEED, {"id": community, "last": 3}, ("staff",))
    # ... and filters it (a subtree in the filter is ignored by the resolvers: the cell is the subtree)
    filters: dict[str, Any] = {
        "statuses": ["SUBMITTED", "DRAFT", "RETURNED"],
        "types": ["MEDIATION"],
        "since": hours_ago(48).isoformat(),
        "until": hours_ago(0).isoformat(),
        "cell": global_id("GridCell", tree.micro_grids[1].id),
        "leader": global_id("MicroLeader", cast.leader_row.id),
        "subtree": global_id("GridCell", tree.micro_grids[3].id),
    }
    for name, value in filters.items():
        await check(
            app,
            sql_log,
            world,
            CELL_FEED,
            {"id": community, "first": 5, "filter": {name: value}},
            ACTORS[::2],
        )
    # THEN (in `check`) every answer is the resolvers'; each actor sees what the policy allows
    staff = await app.post(CELL_FEED, {"id": community, "first": 1}, **world.headers["staff"])
    anonymous = await app.post(CELL_FEED, {"id": community, "first": 1})
    far = await app.post(
        CELL_FEED, {"id": global_id("GridCell", tree.grids[1].id)}, **world.headers["far_staff"]
    )
    assert staff["data"]["gridCell"]["activities"]["totalCount"] == 33
    assert anonymous["data"]["gridCell"]["activities"]["totalCount"] == 29  # the mediation is not public
    assert {n["title"] for n in far["data"]["gridCell"]["activities"]["nodes"]} >= {"第二网格"}


async def test_lists_of_cells_and_deep_nesting_each_with_their_own_pages(app: App, sql_log: SqlLog) -> None:
    # GIVEN the world
    world = await nested_world()
    tree = world.cast.tree
    # WHEN a list of cells of every level asks each cell's newest records, and a town its
    # children's children's records (depth three)
    listed = await check(app, sql_log, world, LIST_FEEDS, {})
    deep = await check(app, sql_log, world, DEPTH_THREE, {"id": global_id("GridCell", tree.town.id)})
    # THEN (in `check`) they match the resolvers, in one statement; each row has its own page
    by_code = {n["code"]: n["activities"] for n in listed["data"]["gridCells"]["nodes"]}
    assert by_code[tree.city.code]["totalCount"] == 33  # bureau staff (the last actor) sees all
    assert by_code[tree.micro_grids[3].code]["totalCount"] == 1
    assert by_code[tree.village.code] == {
        "totalCount": 0,
        "nodes": [],
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "endCursor": None},
    }
    community = deep["data"]["gridCell"]["children"]["nodes"][0]
    assert [g["activities"]["totalCount"] for g in community["children"]["nodes"]] == [27, 5]


async def test_nesting_deeper_than_sqlite_parses_is_left_to_the_resolvers_there(app: App) -> None:
    # GIVEN the world, and four levels of lists below the city (SQLite's parser has a fixed stack)
    world = await nested_world()
    variables = {"id": global_id("GridCell", world.cast.tree.city.id)}
    # WHEN the operation is asked twice
    expected = await app.post(DEPTH_FOUR, variables, **RESOLVERS)
    first = await app.post(DEPTH_FOUR, variables)
    again = await app.post(DEPTH_FOUR, variables)
    # THEN the answer is the resolvers' each time: compiled on PostgreSQL, handed over on SQLite
    # (which refused the statement once, and is not asked again)
    assert canonical(first) == canonical(expected)
    assert canonical(again) == canonical(expected)
    if domain_sql.dialect() == "sqlite":
        assert again["extensions"] == {
            "readPath": "resolvers",
            "fallback": "statement nests too deep for SQLite",
        }
        assert app.read_path.stats.fallbacks is not None
        assert app.read_path.stats.fallbacks["statement nests too deep for SQLite"] == 2
    else:
        assert again["extensions"] == {"readPath": "compiled"}
    grids = again["data"]["gridCell"]["children"]["nodes"][0]["children"]["nodes"][0]["children"]["nodes"]
    assert [g["activities"]["totalCount"] for g in grids] == [25, 4]  # the mediation is not public


async def test_ancestors_and_subtree_counts(app: App, sql_log: SqlLog) -> None:
    # GIVEN the world (with a retired micro-grid)
    world = await nested_world()
    tree = world.cast.tree
    # WHEN the breadcrumbs and subtree counts of cells at every level are read
    answers = {}
    for root in (tree.city, tree.community, tree.micro_grids[2]):
        answers[root.code] = await check(
            app, sql_log, world, TREE, {"id": global_id("GridCell", root.id)}, ("anonymous", "staff")
        )
    # THEN (in `check`) they match the resolvers: ancestors top-down, counts by kind in GridKind order
    city = answers[tree.city.code]["data"]["gridCell"]
    assert city["ancestors"] == []
    assert city["parent"] is None
    assert [(k["kind"], k["count"]) for k in city["subtree"]["byKind"]] == [
        ("TOWN", 1),
        ("COMMUNITY", 1),
        ("VILLAGE", 1),
        ("GRID", 2),
        ("MICRO_GRID", 4),
    ]
    micro = answers[tree.micro_grids[2].code]["data"]["gridCell"]
    assert [a["code"] for a in micro["ancestors"]] == [
        tree.city.code,
        tree.town.code,
        tree.community.code,
        tree.grids[1].code,
    ]
    assert micro["subtree"] == {"__typename": "GridSubtreeStats", "total": 0, "byKind": []}


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (
            '{ gridCells(first: 2) { nodes { children(after: "nonsense") { totalCount } } } }',
            "after: INVALID",
        ),
        ("{ gridCells(first: 2) { nodes { children(first: -1) { totalCount } } } }", "first: INVALID"),
        ("{ gridCells(first: 2) { nodes { children(first: 1, last: 1) { totalCount } } } }", "last: INVALID"),
        ("{ gridCells(first: 2) { nodes { activities(last: 101) { totalCount } } } }", "last: INVALID"),
        ('{ gridCells(first: 2) { nodes { activities(before: "YzE6WzFd") { totalCount } } } }', "before"),
        (
            '{ gridCells(first: 2) { nodes { activities(filter: {since: "2025-01-01T00:00:00"}) '
            "{ totalCount } } } }",
            "since: INVALID",
        ),
        (
            "{ gridCells(first: 2) { nodes { leaders { cohort { statusCounts { count } } } } } }",
            "Cohort.statusCounts is not compilable",
        ),
    ],
)
async def test_invalid_nested_arguments_are_left_to_the_resolvers(app: App, query: str, reason: str) -> None:
    # GIVEN a small tree
    await build_tree(grids=1, micro_grids_per_grid=1)
    # WHEN a nested argument is invalid (or a field is not mapped)
    body = await app.post(query)
    expected = await app.post(query, **RESOLVERS)
    # THEN the resolvers answer it, exactly as when asked directly, and the reason says why
    assert body["extensions"]["readPath"] == "resolvers"
    assert reason in body["extensions"]["fallback"]
    assert canonical(body) == canonical(expected)


RETIRED = """
query ($parent: ID!, $all: Boolean) {
  gridCells(filter: {parent: $parent, includeRetired: $all}, first: 20) { totalCount nodes { code retired } }
  gridCell(id: $parent) { children(first: 20) { totalCount nodes { code } } }
}
"""


async def test_retired_cells_leave_lists_on_both_paths(app: App, sql_log: SqlLog) -> None:
    # GIVEN a grid with a retired micro-grid
    tree = await build_tree(grids=1, micro_grids_per_grid=3)
    retired = tree.micro_grids[1]
    await GridCell.filter(id=retired.id).update(retired=True)
    parent = global_id("GridCell", tree.grids[0].id)
    answers = {}
    for include in (False, True):
        # WHEN the grid's cells are listed, with and without the retired ones
        expected, actual, statements = await compare(
            app, sql_log, RETIRED, {"parent": parent, "all": include}, {}
        )
        # THEN both paths agree, in one statement ...
        assert actual["extensions"] == {"readPath": "compiled"}
        assert canonical(actual) == canonical(expected)
        assert statements == 1
        answers[include] = actual["data"]
    # ... the retired cell is listed only when asked for, and never among the children
    codes = {include: [n["code"] for n in answers[include]["gridCells"]["nodes"]] for include in answers}
    assert retired.code not in codes[False]
    assert retired.code in codes[True]
    assert len(codes[True]) == len(codes[False]) + 1
    assert retired.code not in [n["code"] for n in answers[False]["gridCell"]["children"]["nodes"]]
