"""Who am I, what I may see of people, and audited unmasking, over GraphQL."""

from __future__ import annotations

import httpx

from domain.access import Role
from domain.accounts.service import SYSTEM, grant_role
from domain.audit.models import AuditEntry
from domain.grids.models import GridCell
from domain.organisations import service as org_service
from domain.people.models import Person
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.domain.test_organisations import TODAY, filed
from tests.factories import BUREAU, build_tree

VIEWER = """
{ viewer {
    username authenticatedBy scopes
    roles { role label cell { code } }
    person { name mobile masked } } }
"""

HEAD = """
query ($code: String!) { gridCellByCode(code: $code) { head { id name mobile masked } } }
"""

PERSON_NODE = "query ($id: ID!) { node(id: $id) { ... on Person { name mobile } } }"

UNMASK = """
mutation ($input: PersonUnmaskInput!) {
  personUnmask(input: $input) { person { name mobile masked } userErrors { field message code } }
}
"""


async def _grid_with_head() -> tuple[GridCell, Person, GridCell]:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    head = await Person.create(name="周建国", mobile="13900001111")
    await GridCell.filter(id=tree.grids[0].id).update(head_id=head.id)
    return tree.grids[0], head, tree.community


async def test_anonymous_viewer_is_null(client: httpx.AsyncClient) -> None:
    assert await gql(client, VIEWER) == {"data": {"viewer": None}}


async def test_viewer_shows_own_person_roles_and_token_scopes(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    user = await make_user("grid.wang", Role.GRID_STAFF, cell=tree.town, mobile="13812345678", name="王小明")
    viewer = (await gql(client, VIEWER, headers=await bearer(user, "write:grids")))["data"]["viewer"]
    assert viewer == {
        "username": "grid.wang",
        "authenticatedBy": "TOKEN",
        "scopes": ["read", "write:grids"],
        "roles": [{"role": "GRID_STAFF", "label": "网格员/社区工作者", "cell": {"code": "330482001"}}],
        "person": {"name": "王小明", "mobile": "13812345678", "masked": False},
    }


async def test_the_public_sees_heads_masked_and_no_mobile(client: httpx.AsyncClient) -> None:
    grid, head, _ = await _grid_with_head()
    body = await gql(client, HEAD, code=grid.code)
    assert body["data"]["gridCellByCode"]["head"] == {
        "id": global_id("Person", head.id),
        "name": "周**",
        "mobile": None,
        "masked": True,
    }


async def test_staff_see_full_names_but_masked_mobiles(client: httpx.AsyncClient) -> None:
    grid, _, community = await _grid_with_head()
    staff = await make_user("grid.li", Role.GRID_STAFF, cell=community)
    body = await gql(client, HEAD, headers=await bearer(staff), code=grid.code)
    assert body["data"]["gridCellByCode"]["head"]["name"] == "周建国"
    assert body["data"]["gridCellByCode"]["head"]["mobile"] == "139****1111"


async def test_people_cannot_be_enumerated_by_id(client: httpx.AsyncClient) -> None:
    _, head, _ = await _grid_with_head()
    resident = await make_user("resident.zhao", Role.RESIDENT)
    anonymous = await gql(client, PERSON_NODE, id=global_id("Person", head.id))
    as_resident = await gql(
        client, PERSON_NODE, headers=await bearer(resident), id=global_id("Person", head.id)
    )
    assert anonymous == as_resident == {"data": {"node": None}}


async def test_unmasking_in_scope_returns_the_number_and_is_audited(client: httpx.AsyncClient) -> None:
    _, head, community = await _grid_with_head()
    staff = await make_user("grid.sun", Role.GRID_STAFF, cell=community)
    body = await gql(
        client,
        UNMASK,
        headers=await bearer(staff, "unmask:people"),
        input={"id": global_id("Person", head.id), "reason": "上门走访前核实电话"},
    )
    assert body["data"]["personUnmask"] == {
        "person": {"name": "周建国", "mobile": "13900001111", "masked": False},
        "userErrors": [],
    }
    entry = await AuditEntry.get(action="person.unmask")
    assert (entry.actor_label, entry.object_id, entry.summary) == (
        "grid.sun",
        str(head.id),
        {"reason": "上门走访前核实电话"},
    )


async def test_unmasking_out_of_scope_is_forbidden_and_leaves_no_trace_of_data(
    client: httpx.AsyncClient,
) -> None:
    _, head, _ = await _grid_with_head()
    resident = await make_user("resident.qian", Role.RESIDENT)
    body = await gql(
        client,
        UNMASK,
        headers=await bearer(resident, "unmask:people"),
        input={"id": global_id("Person", head.id), "reason": "想联系"},
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "13900001111" not in str(body)
    assert not await AuditEntry.filter(action="person.unmask").exists()


async def test_unmasking_needs_a_reason(client: httpx.AsyncClient) -> None:
    _, head, _ = await _grid_with_head()
    bureau = await make_user("bureau.zhou", Role.BUREAU_STAFF)
    body = await gql(
        client,
        UNMASK,
        headers=await bearer(bureau, "unmask:people"),
        input={"id": global_id("Person", head.id), "reason": " "},
    )
    assert body["data"]["personUnmask"]["userErrors"][0]["field"] == ["reason"]
    assert not await AuditEntry.filter(action="person.unmask").exists()


async def test_an_organisers_grant_names_its_organisation(client: httpx.AsyncClient) -> None:
    # GIVEN an organiser granted for a filed organisation
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await org_service.create_organisation(actor=BUREAU, data=filed(tree, "演示睦邻互助队"), today=TODAY)
    user = await make_user("organiser.xu", Role.RESIDENT)
    await grant_role(actor=SYSTEM, user_id=user.id, role=Role.ORGANISER, organisation_id=org.id)
    # WHEN they ask who they are, THEN the grant names the organisation as a node
    query = "{ viewer { roles { role organisation { id name } } } }"
    roles = (await gql(client, query, headers=await bearer(user)))["data"]["viewer"]["roles"]
    assert {
        "role": "ORGANISER",
        "organisation": {"id": global_id("Organisation", org.id), "name": "演示睦邻互助队"},
    } in roles
