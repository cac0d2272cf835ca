"""What the compiled read path does not answer goes through strawberry, with the same result,
counted and logged with its reason; requests strawberry refuses are refused exactly as before."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from api.schema.limits import MAX_ALIASES, MAX_DEPTH
from tests.api.graphql import bearer, global_id
from tests.compiler.conftest import REPORT, RESOLVERS, App, canonical
from tests.conftest import SqlLog
from tests.factories import build_tree
from tests.factories_activities import Cast, build_cast, insert_activities


async def test_mutations_run_through_strawberry(app: App, caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN a bureau staff token that may edit grids
    cast = await build_cast()
    headers = await bearer(cast.users["bureau.chen"], "write:grids")
    mutation = """mutation ($input: GridCellUpdateInput!) {
      gridCellUpdate(input: $input) { gridCell { name } userErrors { code } } }"""
    variables = {"input": {"id": global_id("GridCell", cast.tree.grids[0].id), "name": "第一网格"}}
    # WHEN it renames a cell
    with caplog.at_level(logging.INFO, logger="linzhi.compiler"):
        body = await app.post(mutation, variables, **headers)
    # THEN strawberry ran it, the response says so, and the fallback is counted and logged
    assert body["data"]["gridCellUpdate"] == {"gridCell": {"name": "第一网格"}, "userErrors": []}
    assert body["extensions"] == {"readPath": "resolvers", "fallback": "mutation"}
    assert app.read_path.stats.fallbacks is not None
    assert app.read_path.stats.fallbacks["mutation"] == 1
    assert "read path fallback: mutation" in caplog.text


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (
            "{ gridCells(first: 2) { nodes { children(first: 1) { nodes { leaders { cohort {"
            " sessions { title } } } } } } } }",
            "Cohort.sessions is not compilable",
        ),
        ("{ cohorts { name statusCounts { count } } }", "Cohort.statusCounts is not compilable"),
        (
            "{ cohorts { name sessions { title } } }",
            "Cohort.sessions is not compilable",
        ),
        ("{ viewer { username } }", "Query.viewer is not compilable"),
    ],
)
async def test_unmapped_fields_and_arguments_fall_back_with_their_reason(
    app: App, query: str, reason: str
) -> None:
    # GIVEN a small tree
    await build_tree(grids=1, micro_grids_per_grid=2)
    # WHEN a query selects something the compiler has no mapping for
    body = await app.post(query)
    expected = await app.post(query, **RESOLVERS)
    # THEN strawberry answers it, exactly as when asked directly, and the reason is recorded
    assert body["extensions"] == {"readPath": "resolvers", "fallback": reason}
    assert canonical(body) == canonical(expected)
    assert "errors" not in body


@pytest.mark.parametrize(
    "query",
    [
        "{ gridCells(first: 101) { totalCount } }",  # out of range: a user error
        '{ gridCells(first: 1, after: "nonsense") { totalCount } }',  # a bad cursor
        '{ node(id: "!!!") { id } }',  # not a global ID
        '{ activities(filter: {subtree: "R3JpZENlbGw6OTk5"}) { totalCount } }',  # an unknown cell
        '{ microLeaders(filter: {search: "李"}) { totalCount } }',  # the public may not search names
        '{ activityCountsByUnit(town: "TOWN", since: "2025-01-01T00:00:00", '
        'until: "2026-01-01T00:00:00+08:00") { total } }',  # a time without zone
    ],
)
async def test_invalid_arguments_get_the_resolvers_errors(app: App, query: str) -> None:
    # GIVEN a small tree
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    query = query.replace("TOWN", global_id("GridCell", tree.town.id))
    # WHEN an argument is invalid
    body = await app.post(query)
    expected = await app.post(query, **RESOLVERS)
    # THEN the answer is the resolvers' error, unchanged
    assert body["extensions"]["readPath"] == "resolvers"
    assert canonical(body) == canonical(expected)
    assert body.get("errors")


async def test_a_town_check_the_resolvers_make_is_kept(app: App) -> None:
    # GIVEN a tree and a community (not a town)
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    query = """query ($town: ID!) { activityCountsByUnit(town: $town, since: "2025-01-01T00:00:00+08:00",
      until: "2027-01-01T00:00:00+08:00") { total } }"""
    # WHEN the counts are asked for the community
    body = await app.post(query, {"town": global_id("GridCell", tree.community.id)})
    # THEN the statement's guard hands over to the resolvers, which refuse it
    assert body["extensions"] == {"readPath": "resolvers", "fallback": "runtime guard"}
    assert body["errors"][0]["message"] == "请选择一个镇（街道）"


@pytest.mark.parametrize(
    "query",
    [
        "{ gridCells { nodes { code } }",  # a syntax error
        "{ gridCells { nodes { nope } } }",  # an unknown field
        "{ " + " ".join(f"a{i}: __typename" for i in range(MAX_ALIASES + 1)) + " }",  # too many aliases
        '{ node(id: "x") { '
        + "... on GridCell { parent { " * MAX_DEPTH
        + "code"
        + " } }" * MAX_DEPTH
        + " } }",
        "{ "
        + " ".join(f"g{i}: gridCells(first: 100) {{ nodes {{ ...F }} }}" for i in range(25))
        + " } fragment F on GridCell { id code name kind kindLabel depth households retired codeVerified "
        + "isDemo parent { id code name kind kindLabel depth households retired codeVerified isDemo } }",
        "{ " + "__typename " * 2100 + "}",  # token limit
        "query A { __typename } query B { __typename }",  # which operation? (strawberry runs A)
    ],
)
async def test_requests_strawberry_refuses_are_refused_the_same_way(app: App, query: str) -> None:
    # GIVEN nothing but the schema
    # WHEN a request breaks a rule (syntax, validation, depth, aliases, tokens, cost)
    response = await app.client.post("/graphql", json={"query": query}, headers=REPORT)
    expected = await app.client.post("/graphql", json={"query": query}, headers=RESOLVERS)
    # THEN the response is strawberry's, byte for byte apart from the path extension
    assert response.status_code == expected.status_code
    body = response.json()
    assert canonical(body) == canonical(expected.json())
    assert body["extensions"]["readPath"] == "resolvers"


@pytest.mark.parametrize("env", ["development", "test", "production"])
async def test_the_read_path_is_reported_outside_production_only(db: None, env: str) -> None:
    # GIVEN the app in one environment, and a small tree
    import httpx

    from api.app import create_app
    from api.settings import Settings

    application = create_app(Settings.for_tests().with_(env=env))
    await build_tree(grids=1, micro_grids_per_grid=1)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        # WHEN a compilable query runs plainly, and a non-compilable one asks for the report
        compiled = await client.post("/graphql", json={"query": "{ gridCells(first: 1) { nodes { code } } }"})
        asked = await client.post("/graphql", json={"query": "{ viewer { username } }"}, headers=REPORT)
        forced = await client.post(
            "/graphql", json={"query": "{ gridCells(first: 1) { nodes { code } } }"}, headers=RESOLVERS
        )
    # THEN plain bodies never change; outside production a header says which path ran, the report
    # is in the body when asked for, and the resolvers can be forced
    assert compiled.json() == {"data": {"gridCells": {"nodes": [{"code": "330482"}]}}}
    assert forced.json()["data"] == compiled.json()["data"]
    if env == "production":
        assert "x-linzhi-read-path" not in compiled.headers
        assert "extensions" not in asked.json()
        assert "x-linzhi-read-path" not in forced.headers
    else:
        assert compiled.headers["x-linzhi-read-path"] == "compiled"
        assert asked.headers["x-linzhi-read-path"] == "resolvers"
        reason = {"readPath": "resolvers", "fallback": "Query.viewer is not compilable"}
        assert asked.json()["extensions"] == reason
        assert forced.headers["x-linzhi-read-path"] == "resolvers"


SUBTREE_COUNT = "query ($s: ID!) { activities(filter: {subtree: $s}) { totalCount } }"


async def _community_count(app: App) -> tuple[Cast, dict[str, Any], dict[str, Any]]:
    """Verified records under a community, and a first count over its subtree (compiled)."""
    cast = await build_cast()
    await insert_activities(cast.tree.micro_grids[0], 2, author_user_id=cast.leader.user_id or 0)
    variables = {"s": global_id("GridCell", cast.tree.community.id)}
    return cast, variables, await app.post(SUBTREE_COUNT, variables)


async def test_a_stale_cached_subtree_path_is_caught_by_the_statement(app: App) -> None:
    # GIVEN verified records under a community, and a feed query over its subtree
    cast, variables, first = await _community_count(app)
    community, query = cast.tree.community, SUBTREE_COUNT
    # WHEN the process cache holds a wrong path for that cell (as if it came from another
    # database), and the plan has not memoised parameters made from the right one
    app.read_path.cell_paths.paths[community.id] = cast.tree.grids[1].path
    for variants in app.read_path.plans.values():
        for plan in variants:
            plan.bound.clear()
    stale = await app.post(query, variables)
    again = await app.post(query, variables)
    # THEN the statement's guard hands that request to the resolvers, with the right answer, and
    # the next one is compiled again from the corrected path
    assert first["extensions"] == {"readPath": "compiled"}
    assert stale["extensions"] == {"readPath": "resolvers", "fallback": "runtime guard"}
    assert stale["data"] == first["data"] == again["data"] == {"activities": {"totalCount": 2}}
    assert again["extensions"] == {"readPath": "compiled"}
    assert app.read_path.cell_paths.paths[community.id] == community.path


async def test_a_stale_path_in_memoised_parameters_is_caught_and_forgotten(app: App) -> None:
    # GIVEN a feed query over a subtree whose parameters the plan has memoised
    cast, variables, first = await _community_count(app)
    community, query = cast.tree.community, SUBTREE_COUNT
    [plan] = [plan for variants in app.read_path.plans.values() for plan in variants]
    [(key, params)] = plan.bound.items()
    # WHEN the memoised parameters hold a wrong path (as if made against another database)
    plan.bound[key] = [cast.tree.grids[1].path if p == community.path else p for p in params]
    stale = await app.post(query, variables)
    again = await app.post(query, variables)
    # THEN the statement's guard hands that request to the resolvers, and the next one is compiled
    # from the right path again
    assert stale["extensions"] == {"readPath": "resolvers", "fallback": "runtime guard"}
    assert again["extensions"] == first["extensions"] == {"readPath": "compiled"}
    assert stale["data"] == first["data"] == again["data"] == {"activities": {"totalCount": 2}}
    assert plan.bound == {key: params}


async def test_plans_are_made_once_per_operation_and_actor_shape(app: App) -> None:
    # GIVEN two residents (same shape) and bureau staff (another shape)
    cast = await build_cast()
    query = "{ activities(first: 5) { nodes { title leader { name } } } }"
    residents = [await bearer(cast.users[u]) for u in ("resident.zhao", "leader.wang")]
    bureau = await bearer(cast.users["bureau.chen"])
    # WHEN each asks the same query twice
    for headers in (*residents, bureau):
        await app.post(query, **headers)
        await app.post(query, **headers)
    # THEN one plan serves both residents (their ids are parameters) and one serves the staff
    assert app.read_path.stats.planned == 2
    assert app.read_path.stats.compiled == 6


async def test_a_document_nested_deeper_than_sqlite_parses_is_refused_once(
    app: App, database_url: str, sql_log: SqlLog
) -> None:
    # GIVEN a micro-grid, four levels below the city
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    chain = "name"
    for _ in range(9):
        chain = "name parent { " + chain + " }"
    query = "query Deep($code: String!) { gridCellByCode(code: $code) { " + chain + " } }"
    variables = {"code": tree.micro_grids[0].code}
    expected = await app.post(query, variables, **RESOLVERS)
    # WHEN it is asked for nine levels of parents, twice
    first = await app.post(query, variables)
    sql_log.reset()
    second = await app.post(query, variables)
    # THEN both answers are the resolvers' answer
    assert canonical(first) == canonical(second) == canonical(expected)
    assert expected["data"]["gridCellByCode"]["parent"]["parent"]["parent"]["parent"]["name"] == "平湖市"
    if database_url.startswith("sqlite"):
        # SQLite (before 3.46) cannot parse the statement: the resolvers answer, and the second
        # request does not send the statement again
        reason = "statement nests too deep for SQLite"
        assert second["extensions"] == {"readPath": "resolvers", "fallback": reason}
        assert not any("json_object" in s for s in sql_log.statements)
    else:
        assert second["extensions"] == {"readPath": "compiled"}
        assert sql_log.count == 1
