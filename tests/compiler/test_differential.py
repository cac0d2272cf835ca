"""The compiled read path answers exactly what the resolvers answer, in one SQL statement: the
benchmark operations and the read operations of tests/api, for every kind of actor."""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from typing import Any

from bench.operations import Q2, Q3, Q4
from tests.api.graphql import global_id
from tests.compiler.conftest import App, World, build_world, canonical, compare
from tests.conftest import SqlLog
from tests.factories_activities import hours_ago

ACTORS = ("anonymous", "resident", "author", "staff", "far_staff", "bureau")

FEED = """
query ($first: Int, $after: String, $last: Int, $before: String, $filter: ActivityFilter) {
  activities(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id title status statusLabel activityType typeLabel startedAt endedAt
      submittedAt verifiedAt returnReason mediationOutcome mediationOutcomeLabel place participants
      householdsReached narrative followUp leader { id name status sourceRole } cell { id code name } } }
  }
}
"""

CELLS = """
query ($filter: GridCellFilter, $first: Int, $after: String, $last: Int, $before: String) {
  gridCells(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    __typename totalCount
    edges { __typename cursor node { code } }
    nodes { id code name kind kindLabel depth households retired codeVerified isDemo parent { code } }
    pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

CELL_LEADERS = """
query ($first: Int) {
  gridCells(filter: {kind: MICRO_GRID}, first: $first) {
    nodes { code leaders { id name status statusLabel sourceRoleLabel statusReason nominatedAt enrolledAt
      certifiedAt withdrawnAt cohort { id name year } homeCell { code } } }
  }
}
"""

NODE = """
query ($id: ID!) { node(id: $id) { __typename id ...Cell ... on Activity { title status cell { name } }
  ... on MicroLeader { name cohort { name } } ... on Cohort { name year } } }
fragment Cell on GridCell { code name parent { ...Named } }
fragment Named on GridCell { name kind }
"""

NODES = (
    "query ($ids: [ID!]!) { nodes(ids: $ids) { id __typename ... on Node { id } ... on GridCell { code } } }"
)

LEADERS = """
query ($first: Int, $after: String, $last: Int, $filter: MicroLeaderFilter) {
  microLeaders(first: $first, after: $after, last: $last, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { name sourceRoleLabel statusLabel cohort { name } homeCell { code name } }
    edges { cursor }
  }
}
"""

LOOKUPS = """
query Lookups(
  $code: String!, $cell: ID!, $leader: ID!, $activity: ID!, $withLeader: Boolean!, $skipCell: Boolean!
) {
  __typename
  byCode: gridCellByCode(code: $code) { code name parent { parent { code } } }
  cell: gridCell(id: $cell) @skip(if: $skipCell) { code }
  leader: microLeader(id: $leader) @include(if: $withLeader) { name status cohort { name } homeCell { name } }
  activity(id: $activity) { title status leader { name } }
  again: gridCellByCode(code: $code) { kind }
}
"""


async def check(
    app: App, sql_log: SqlLog, world: World, query: str, variables: dict[str, Any], statements_: int = 1
) -> None:
    for actor in ACTORS:
        expected, actual, statements = await compare(app, sql_log, query, variables, world.headers[actor])
        assert actual.get("extensions") == {"readPath": "compiled"}, (actor, actual)
        assert canonical(actual) == canonical(expected), actor
        assert statements == statements_, (actor, statements)


async def test_the_benchmark_operations_compile_to_one_statement(app: App, sql_log: SqlLog) -> None:
    # GIVEN the world and the benchmark's q2, q3 (pages 1 and 2) and q4
    world = await build_world()
    tree = world.cast.tree
    town = global_id("GridCell", tree.town.id)
    # WHEN every actor runs them on both paths
    await check(app, sql_log, world, Q2, {"search": tree.town.code})
    await check(app, sql_log, world, Q3, {"subtree": town, "after": None})
    page1 = await app.post(Q3.replace("first: 50", "first: 5"), {"subtree": town, "after": None})
    after = page1["data"]["activities"]["pageInfo"]["endCursor"]
    await check(app, sql_log, world, Q3.replace("first: 50", "first: 5"), {"subtree": town, "after": after})
    since, until = hours_ago(24 * 7).isoformat(), hours_ago(-1).isoformat()
    await check(app, sql_log, world, Q4, {"town": town, "since": since, "until": until})
    # (over a longer period whole months come from the monthly rollup, the edges from the log)
    since_long = hours_ago(24 * 400).astimezone(timezone(timedelta(hours=-5))).isoformat()
    await check(app, sql_log, world, Q4, {"town": town, "since": since_long, "until": until})
    # THEN (in `check`) both paths give the same JSON, and the compiled one used one statement
    q4 = await app.post(Q4, {"town": town, "since": since, "until": until})
    assert q4["data"]["activityCountsByUnit"][0]["total"] == 30


async def test_feeds_page_both_ways_with_each_actors_visibility(app: App, sql_log: SqlLog) -> None:
    # GIVEN records in every status at every level of the tree
    world = await build_world()
    tree = world.cast.tree
    # WHEN each actor reads the feed of each subtree, forwards and backwards
    for root in (tree.city, tree.town, tree.community, tree.grids[0], tree.micro_grids[0]):
        await check(
            app, sql_log, world, FEED, {"first": 4, "filter": {"subtree": global_id("GridCell", root.id)}}
        )
    await check(app, sql_log, world, FEED, {})
    await check(app, sql_log, world, FEED, {"last": 3})
    first = await app.post(FEED, {"first": 3}, **world.headers["staff"])
    end = first["data"]["activities"]["pageInfo"]["endCursor"]
    await check(app, sql_log, world, FEED, {"first": 3, "after": end})
    await check(app, sql_log, world, FEED, {"last": 2, "before": end})
    await check(app, sql_log, world, FEED, {"first": 0})
    filters = {
        "statuses": ["SUBMITTED", "DRAFT", "RETURNED"],
        "types": ["MEDIATION", "VISIT"],
        "since": hours_ago(48).isoformat(),
        "until": hours_ago(0).isoformat(),
        "cell": global_id("GridCell", tree.micro_grids[0].id),
        "leader": global_id("MicroLeader", world.cast.leader_row.id),
    }
    for name, value in filters.items():
        await check(app, sql_log, world, FEED, {"first": 10, "filter": {name: value}})
    # THEN (in `check`) every answer is the resolvers' answer, each actor seeing what the policy allows
    staff_view = await app.post(FEED, {"first": 100}, **world.headers["staff"])
    anonymous_view = await app.post(FEED, {"first": 100})
    assert staff_view["data"]["activities"]["totalCount"] == 33
    assert anonymous_view["data"]["activities"]["totalCount"] == 29  # the mediation is not public


async def test_cell_lists_lookups_and_node_dispatch_match(app: App, sql_log: SqlLog) -> None:
    # GIVEN the world
    world = await build_world()
    cast, tree = world.cast, world.cast.tree
    # WHEN cells are listed, filtered and paged, and objects fetched by id, code and global id
    await check(app, sql_log, world, CELLS, {"first": 3})
    await check(app, sql_log, world, CELLS, {"filter": {"search": "南河"}, "first": 5})
    await check(app, sql_log, world, CELLS, {"filter": {"search": tree.community.code, "kind": "MICRO_GRID"}})
    await check(app, sql_log, world, CELLS, {"filter": {"parent": global_id("GridCell", tree.town.id)}})
    page = await app.post(CELLS, {"first": 3})
    end = page["data"]["gridCells"]["pageInfo"]["endCursor"]
    await check(app, sql_log, world, CELLS, {"first": 3, "after": end})
    await check(app, sql_log, world, CELLS, {"last": 2, "before": end})
    await check(app, sql_log, world, CELLS, {"last": 2})
    await check(app, sql_log, world, CELL_LEADERS, {"first": 100})
    await check(app, sql_log, world, LEADERS, {"first": 2})
    await check(app, sql_log, world, LEADERS, {"last": 3})
    await check(
        app, sql_log, world, LEADERS, {"filter": {"subtree": global_id("GridCell", tree.grids[0].id)}}
    )
    cohort = global_id("Cohort", cast.leader_row.cohort_id)  # type: ignore[attr-defined]
    await check(app, sql_log, world, LEADERS, {"filter": {"status": "WITHDRAWN", "cohort": cohort}})
    leaders = await app.post(LEADERS, {"first": 2})
    after = leaders["data"]["microLeaders"]["pageInfo"]["endCursor"]
    await check(app, sql_log, world, LEADERS, {"first": 2, "after": after})
    for kind, pk in (
        ("GridCell", tree.grids[1].id),
        ("GridCell", 999_999),
        ("MicroLeader", cast.leader_row.id),
        ("Cohort", cast.leader_row.cohort_id),  # type: ignore[attr-defined]
        ("Activity", world.records["draft"].id),
        ("Activity", world.records["verified"].id),
        ("Activity", world.records["submitted"].id),
        ("Unknown", 1),
        ("GridCell", "abc"),
    ):
        await check(app, sql_log, world, NODE, {"id": global_id(kind, pk)})  # type: ignore[arg-type]
    ids = [
        global_id("GridCell", tree.town.id),
        global_id("Activity", world.records["draft"].id),
        global_id("X", 1),
    ]
    await check(app, sql_log, world, NODES, {"ids": ids})
    await check(app, sql_log, world, NODES, {"ids": []})
    for with_leader, skip_cell in ((True, False), (False, True)):
        variables = {
            "code": f" {tree.micro_grids[0].code} ",
            "cell": global_id("GridCell", tree.community.id),
            "leader": global_id("MicroLeader", cast.other_leader_row.id),
            "activity": global_id("Activity", world.records["returned"].id),
            "withLeader": with_leader,
            "skipCell": skip_cell,
        }
        await check(app, sql_log, world, LOOKUPS, variables)
    # THEN (in `check`) they match, and names are masked for the public only
    body = await app.post(CELL_LEADERS, {"first": 100})
    names = [leader["name"] for node in body["data"]["gridCells"]["nodes"] for leader in node["leaders"]]
    assert names == ["欧***"]
    assert "赵退出" not in json.dumps(body, ensure_ascii=False)


async def test_the_read_operations_of_the_api_tests_match(app: App, sql_log: SqlLog) -> None:
    # GIVEN the world and read operations taken from tests/api (compilable ones)
    world = await build_world()
    tree = world.cast.tree
    operations: list[tuple[str, dict[str, Any]]] = [
        ("query ($id: ID!) { gridCell(id: $id) { code name } }", {"id": global_id("GridCell", tree.town.id)}),
        (
            "query ($id: ID!) { node(id: $id) { __typename id ... on GridCell { code name } } }",
            {"id": global_id("GridCell", tree.village.id)},
        ),
        (
            "query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on GridCell { code } } }",
            {"ids": [global_id("GridCell", c.id) for c in tree.micro_grids]},
        ),
        ("query Node($id: ID!) { node(id: $id) { id } }", {"id": global_id("GridCell", 1)}),
        (
            """query ($first: Int, $after: String, $filter: ActivityFilter) {
          activities(first: $first, after: $after, filter: $filter) {
            totalCount pageInfo { hasNextPage endCursor }
            nodes { title status cell { code } leader { name } } } }""",
            {"first": 10, "filter": {"subtree": global_id("GridCell", tree.community.id)}},
        ),
        (
            """query ($first: Int) { gridCells(filter: {kind: MICRO_GRID}, first: $first) {
          nodes { code leaders { name status } } } }""",
            {"first": 100},
        ),
    ]
    # WHEN every actor runs them on both paths
    for query, variables in operations:
        await check(app, sql_log, world, query, variables)
    await check(app, sql_log, world, "{ __typename }", {}, statements_=0)  # no table, no statement
    # THEN (in `check`) the answers are identical
    assert app.read_path.stats.compiled > 0
