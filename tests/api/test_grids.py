"""The grid tree over GraphQL: lookups, connections, node dispatch, bad input and SQL counts."""

from __future__ import annotations

import httpx
import pytest

from domain.access import Role
from domain.accounts.models import ApiToken
from domain.audit.models import AuditEntry
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.conftest import SqlLog
from tests.factories import build_tree, reload

CELL_BY_CODE = """
query ($code: String!) {
  gridCellByCode(code: $code) {
    id code name kind kindLabel depth households retired codeVerified isDemo
    parent { name }
    ancestors { code name }
    children(first: 10) { totalCount nodes { code name households } }
    subtree { total byKind { kind label count } }
    head { name }
  }
}
"""

CELL_BY_ID = "query ($id: ID!) { gridCell(id: $id) { code name } }"

CELLS = """
query ($filter: GridCellFilter, $first: Int, $after: String, $last: Int, $before: String) {
  gridCells(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { code } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

NODE = """
query ($id: ID!) { node(id: $id) { __typename id ... on GridCell { code name } } }
"""

NODES = "query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on GridCell { code } } }"

RESOLVERS = {"x-linzhi-read-path": "resolvers"}  # the DataLoader batching is what is tested

HUNDRED_CELLS = """
query {
  gridCells(filter: {search: "3304820010"}, first: 100) {
    totalCount
    nodes { code parent { code } children { totalCount } }
  }
}
"""

UPDATE = """
mutation ($input: GridCellUpdateInput!) {
  gridCellUpdate(input: $input) {
    gridCell { code name households }
    userErrors { field message code }
  }
}
"""

KINDS = "{ gridKinds { kind label } }"


async def staff_headers() -> dict[str, str]:
    return await bearer(await make_user("bureau.staff", Role.BUREAU_STAFF), "write:grids")


async def test_a_cell_by_code_shows_breadcrumb_children_and_subtree(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=2, micro_grids_per_grid=3, households=40)
    body = await gql(client, CELL_BY_CODE, code=tree.community.code)
    cell = body["data"]["gridCellByCode"]
    assert cell["id"] == global_id("GridCell", tree.community.id)
    assert (cell["name"], cell["kind"], cell["kindLabel"], cell["households"]) == (
        "南河头社区",
        "COMMUNITY",
        "社区",
        240,
    )
    assert cell["parent"] == {"name": "当湖街道"}
    assert [a["code"] for a in cell["ancestors"]] == ["330482", "330482001"]
    assert cell["children"]["totalCount"] == 2
    assert [c["households"] for c in cell["children"]["nodes"]] == [120, 120]
    assert cell["subtree"] == {
        "total": 8,
        "byKind": [
            {"kind": "GRID", "label": "网格", "count": 2},
            {"kind": "MICRO_GRID", "label": "微网格", "count": 6},
        ],
    }


async def test_an_unknown_code_is_null(client: httpx.AsyncClient) -> None:
    body = await gql(client, CELL_BY_CODE, code="330482999")
    assert body == {"data": {"gridCellByCode": None}}


@pytest.mark.parametrize("read_path", ["compiled", "resolvers"])
async def test_a_code_longer_than_any_code_finds_nothing_on_both_paths(
    client: httpx.AsyncClient, read_path: str
) -> None:
    # A code or digit search longer than 17 characters once reached the ORM, which refused it
    # with an internal error (found by the generated corpus of tests/compiler).
    query = """query ($code: String!, $search: String!) {
      gridCellByCode(code: $code) { code }
      gridCells(filter: {search: $search}, first: 10) { nodes { code } }
    }"""
    variables = {"code": "3304820010051234567", "search": "330482001005123456789"}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"x-linzhi-read-path": read_path}
    )
    body = response.json()
    assert "errors" not in body
    assert body["data"] == {"gridCellByCode": None, "gridCells": {"nodes": []}}
    assert response.headers["x-linzhi-read-path"] == read_path


async def test_a_cell_by_id_and_node_dispatch_agree(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    gid = global_id("GridCell", tree.town.id)
    assert (await gql(client, CELL_BY_ID, id=gid))["data"]["gridCell"] == {
        "code": "330482001",
        "name": "当湖街道",
    }
    node = (await gql(client, NODE, id=gid))["data"]["node"]
    assert node == {"__typename": "GridCell", "id": gid, "code": "330482001", "name": "当湖街道"}


async def test_nodes_keep_the_input_order_and_null_the_unknown(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    ids = [
        global_id("GridCell", tree.town.id),
        global_id("GridCell", 99999),
        global_id("GridCell", tree.city.id),
    ]
    body = await gql(client, NODES, ids=ids)
    assert body["data"]["nodes"] == [
        {"id": ids[0], "code": "330482001"},
        None,
        {"id": ids[2], "code": "330482"},
    ]


async def test_a_node_of_an_unknown_type_is_null(client: httpx.AsyncClient) -> None:
    body = await gql(client, NODE, id=global_id("Spaceship", 1))
    assert body == {"data": {"node": None}}


@pytest.mark.parametrize("bad_id", ["not-base64!", "R3JpZENlbGw=", ""])
async def test_a_malformed_id_is_a_clear_error_not_a_500(client: httpx.AsyncClient, bad_id: str) -> None:
    body = await gql(client, NODE, id=bad_id)
    assert body["data"] == {"node": None}
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID"
    assert "ID" in error["message"]


async def test_an_id_of_another_type_is_refused_by_typed_lookups(client: httpx.AsyncClient) -> None:
    body = await gql(client, CELL_BY_ID, id=global_id("Person", 1))
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


async def test_cursor_pages_cover_the_list_once_in_code_order(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=5, micro_grids_per_grid=0)
    only_grids = {"kind": "GRID"}
    seen: list[str] = []
    after = None
    while True:
        page = (await gql(client, CELLS, filter=only_grids, first=2, after=after))["data"]["gridCells"]
        assert page["totalCount"] == 5
        seen += [edge["node"]["code"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [g.code for g in tree.grids]
    backwards = await gql(client, CELLS, filter=only_grids, last=2, before=page["edges"][0]["cursor"])
    assert [e["node"]["code"] for e in backwards["data"]["gridCells"]["edges"]] == [
        g.code for g in tree.grids[2:4]
    ]


async def test_filters_by_parent_kind_and_search(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=2, micro_grids_per_grid=2)
    by_parent = {"parent": global_id("GridCell", tree.town.id)}
    page = (await gql(client, CELLS, filter=by_parent, first=10))["data"]["gridCells"]
    assert [e["node"]["code"] for e in page["edges"]] == ["330482001005", "330482001201"]
    by_name = (await gql(client, CELLS, filter={"search": "演示"}, first=10))["data"]["gridCells"]
    assert [e["node"]["code"] for e in by_name["edges"]] == ["330482001201"]
    by_kind = (await gql(client, CELLS, filter={"kind": "MICRO_GRID"}, first=1))["data"]["gridCells"]
    assert by_kind["totalCount"] == 4


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"first": 101}, "first"),
        ({"first": -1}, "first"),
        ({"last": 101}, "last"),
        ({"first": 1, "last": 1}, "last"),
        ({"after": "bm90IGEgY3Vyc29y"}, "after"),
        ({"before": "%%%"}, "before"),
        ({"filter": {"parent": "garbage"}}, "filter.parent"),
    ],
)
async def test_bad_pagination_and_filters_are_clear_errors(
    client: httpx.AsyncClient, variables: dict[str, object], field: str
) -> None:
    body = await gql(client, CELLS, **variables)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID"
    assert error["extensions"]["field"] == [field]


async def test_kinds_come_with_chinese_labels(client: httpx.AsyncClient) -> None:
    kinds = (await gql(client, KINDS))["data"]["gridKinds"]
    assert {k["kind"]: k["label"] for k in kinds}["VILLAGE"] == "村"
    assert len(kinds) == 6


async def test_hundred_cells_with_parents_and_child_counts_take_four_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    # GIVEN 100+ cells under one town
    await build_tree(grids=10, micro_grids_per_grid=9)
    # WHEN a client lists 100 of them with each one's parent and number of children
    sql_log.reset()
    body = await gql(client, HUNDRED_CELLS, headers=RESOLVERS)  # DataLoader batching
    # THEN the page, the total, the parents and the child counts are one statement each
    nodes = body["data"]["gridCells"]["nodes"]
    assert len(nodes) == 100
    assert body["data"]["gridCells"]["totalCount"] == 101
    assert nodes[0]["children"]["totalCount"] == 10
    assert sql_log.count == 4, sql_log.statements


async def test_statement_count_does_not_grow_with_the_list(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    await build_tree(grids=2, micro_grids_per_grid=2)
    sql_log.reset()
    await gql(client, HUNDRED_CELLS, headers=RESOLVERS)
    assert sql_log.count == 4, sql_log.statements


async def test_breadcrumb_children_and_subtree_of_a_list_are_batched(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    await build_tree(grids=6, micro_grids_per_grid=3)
    query = """{ gridCells(filter: {kind: GRID}, first: 100) {
        nodes { ancestors { code } children(first: 2) { totalCount nodes { code } } subtree { total } } } }"""
    sql_log.reset()
    body = await gql(client, query, headers=RESOLVERS)  # tests/compiler covers the compiled path
    nodes = body["data"]["gridCells"]["nodes"]
    assert len(nodes) == 6
    assert all(n["subtree"]["total"] == 3 and n["children"]["totalCount"] == 3 for n in nodes)
    # page, ancestors, children, subtree stats (one per depth) — and no count: it is not selected
    assert sql_log.count == 4, sql_log.statements


async def test_renaming_a_cell_returns_it(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    body = await gql(
        client,
        UPDATE,
        headers=await staff_headers(),
        input={"id": global_id("GridCell", tree.grids[0].id), "name": "东区网格"},
    )
    assert body["data"]["gridCellUpdate"] == {
        "gridCell": {"code": tree.grids[0].code, "name": "东区网格", "households": 40},
        "userErrors": [],
    }
    assert (await reload(tree.grids[0])).name == "东区网格"


async def test_setting_a_leafs_households_rolls_up(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=2, households=40)
    body = await gql(
        client,
        UPDATE,
        headers=await staff_headers(),
        input={"id": global_id("GridCell", tree.micro_grids[0].id), "households": 75},
    )
    assert body["data"]["gridCellUpdate"]["gridCell"]["households"] == 75
    assert (await reload(tree.city)).households == 115


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"households": -5}, "HOUSEHOLDS_OUT_OF_RANGE", ["households"]),
        ({"name": ""}, "INVALID_NAME", ["name"]),
    ],
)
async def test_bad_updates_come_back_as_user_errors_and_change_nothing(
    client: httpx.AsyncClient, changes: dict[str, object], code: str, field: list[str]
) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1, households=40)
    micro = tree.micro_grids[0]
    body = await gql(
        client,
        UPDATE,
        headers=await staff_headers(),
        input={"id": global_id("GridCell", micro.id), **changes},
    )
    payload = body["data"]["gridCellUpdate"]
    assert payload["gridCell"] is None
    assert payload["userErrors"][0]["code"] == code
    assert payload["userErrors"][0]["field"] == field
    assert payload["userErrors"][0]["message"]
    after = await reload(micro)
    assert (after.name, after.households) == (micro.name, 40)


async def test_updating_an_inner_cells_households_is_refused(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1, households=40)
    body = await gql(
        client,
        UPDATE,
        headers=await staff_headers(),
        input={"id": global_id("GridCell", tree.town.id), "households": 1},
    )
    assert body["data"]["gridCellUpdate"]["userErrors"][0]["code"] == "HOUSEHOLDS_DERIVED"
    assert (await reload(tree.town)).households == 40


async def test_updating_an_unknown_cell_is_not_found(client: httpx.AsyncClient) -> None:
    body = await gql(
        client, UPDATE, headers=await staff_headers(), input={"id": global_id("GridCell", 4242), "name": "x"}
    )
    assert body["data"]["gridCellUpdate"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_a_too_costly_query_is_refused_before_it_runs(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    query = """{ gridCells(first: 100) { nodes {
        children(first: 100) { nodes { children(first: 100) { totalCount } } } } } }"""
    sql_log.reset()
    response = await client.post("/graphql", json={"query": query})
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert sql_log.count == 0


async def test_a_too_deep_query_is_refused(client: httpx.AsyncClient) -> None:
    nested = "parent { " * 14 + "code" + " }" * 14
    query = '{ gridCellByCode(code: "1") { ' + nested + " } }"
    response = await client.post("/graphql", json={"query": query})
    assert "exceeds maximum operation depth" in response.json()["errors"][0]["message"]


async def test_nodes_are_fetched_in_one_statement(client: httpx.AsyncClient, sql_log: SqlLog) -> None:
    tree = await build_tree(grids=3, micro_grids_per_grid=0)
    ids = [global_id("GridCell", g.id) for g in tree.grids]
    sql_log.reset()
    body = await gql(client, NODES, ids=ids)
    assert [n["code"] for n in body["data"]["nodes"]] == [g.code for g in tree.grids]
    assert sql_log.count == 1


async def test_an_update_is_audited_with_what_changed(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1, households=40)
    micro_id = global_id("GridCell", tree.micro_grids[0].id)
    await gql(client, UPDATE, headers=await staff_headers(), input={"id": micro_id, "households": 44})
    entry = await AuditEntry.get(action="grid.update")
    assert (entry.actor_label, entry.object_id) == ("bureau.staff", str(tree.micro_grids[0].id))
    assert entry.summary == {"code": tree.micro_grids[0].code, "households": 44}
    assert entry.token_id == (await ApiToken.get()).id


async def test_anonymous_callers_cannot_update(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    body = await gql(client, UPDATE, input={"id": global_id("GridCell", tree.grids[0].id), "name": "改名"})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await reload(tree.grids[0])).name == "第1网格"


async def test_grid_staff_update_only_inside_their_subtree(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    staff = await make_user("grid.staff", Role.GRID_STAFF, cell=tree.community)
    headers = await bearer(staff, "write:grids")
    inside = await gql(
        client, UPDATE, headers=headers, input={"id": global_id("GridCell", tree.grids[0].id), "name": "东区"}
    )
    outside = await gql(
        client, UPDATE, headers=headers, input={"id": global_id("GridCell", tree.village.id), "name": "西村"}
    )
    assert inside["data"]["gridCellUpdate"]["gridCell"]["name"] == "东区"
    assert outside["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await reload(tree.village)).name == "演示村"


async def test_a_read_only_token_cannot_update(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    headers = await bearer(await make_user("bureau.reader", Role.BUREAU_STAFF))
    body = await gql(
        client, UPDATE, headers=headers, input={"id": global_id("GridCell", tree.grids[0].id), "name": "改名"}
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "write:grids" in body["errors"][0]["message"]
    assert (await reload(tree.grids[0])).name == "第1网格"
