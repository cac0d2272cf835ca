"""Personal data: `personUnmask` needs its own token scope (`unmask:people`), and others' mobile
numbers and resident IDs reach staff only, masked; anyone else gets null, on the resolvers and on
the compiled read path alike. Both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from domain.access import ALL_SCOPES, READ, UNMASK_PEOPLE, Role
from domain.audit.models import AuditEntry
from domain.grids.models import GridCell
from domain.people.models import Person
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.factories import build_tree
from tests.web.session import signed_in

pytestmark = pytest.mark.usefixtures("db")

MOBILE, RESIDENT_ID = "13900001111", "330482199001010027"

UNMASK = """mutation ($input: PersonUnmaskInput!) {
  personUnmask(input: $input) { person { mobile residentId masked } userErrors { code } } }"""

HEADS = """{ gridCells(first: 50) { nodes { code head { id name mobile residentId masked } } } }"""


async def _head() -> tuple[Person, GridCell]:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    head = await Person.create(name="周建国", mobile=MOBILE, resident_id=RESIDENT_ID)
    await GridCell.filter(id=tree.grids[0].id).update(head_id=head.id)
    return head, tree.community


async def _unmask(client: httpx.AsyncClient, head: Person, headers: dict[str, str]) -> dict[str, Any]:
    return await gql(
        client, UNMASK, headers=headers, input={"id": global_id("Person", head.id), "reason": "上门核实"}
    )


@pytest.mark.parametrize(
    "scopes", [[READ], [s for s in ALL_SCOPES if s != UNMASK_PEOPLE]], ids=["read", "all-but"]
)
async def test_a_token_without_the_unmask_scope_cannot_unmask(
    client: httpx.AsyncClient, scopes: list[str]
) -> None:
    # GIVEN bureau staff (who may unmask anyone) with a token lacking `unmask:people`
    head, _ = await _head()
    staff = await make_user("bureau.chen", Role.BUREAU_STAFF)
    # WHEN they unmask a person with it
    body = await _unmask(client, head, await bearer(staff, *scopes))
    # THEN it is refused, the number appears nowhere, and nothing was audited
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "unmask:people" in body["errors"][0]["message"]
    assert MOBILE not in str(body)
    assert not await AuditEntry.filter(action="person.unmask").exists()


async def test_the_unmask_scope_or_a_session_can_unmask(client: httpx.AsyncClient) -> None:
    # GIVEN bureau staff with a token carrying `unmask:people`, and the same person signed in
    head, _ = await _head()
    await make_user("bureau.chen", Role.BUREAU_STAFF)
    staff = await make_user("bureau.wu", Role.BUREAU_STAFF)
    # WHEN each unmasks the grid head
    by_token = await _unmask(client, head, await bearer(staff, UNMASK_PEOPLE))
    await signed_in(client, "bureau.chen")
    by_session = await _unmask(client, head, {"origin": "http://test"})
    # THEN both see the full data, and both unmasks are audited
    full = {"mobile": MOBILE, "residentId": RESIDENT_ID, "masked": False}
    assert by_token["data"]["personUnmask"]["person"] == full
    assert by_session["data"]["personUnmask"]["person"] == full
    assert await AuditEntry.filter(action="person.unmask").count() == 2


READ_PATH = {"report": {"x-linzhi-read-path": "report"}, "resolvers": {"x-linzhi-read-path": "resolvers"}}


async def test_masked_fields_are_the_same_on_both_read_paths_for_every_kind_of_reader(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a grid head with a mobile and a resident ID, a resident who heads another cell, grid
    # staff over the community, and bureau staff
    head, community = await _head()
    resident = await make_user("resident.zhao", Role.RESIDENT, mobile="13812341234", name="赵居民")
    own_cell = await GridCell.filter(head_id__isnull=True).exclude(id=community.id).first()
    assert own_cell is not None
    await GridCell.filter(id=own_cell.id).update(head_id=resident.person_id)
    readers = {
        "anonymous": {},
        "resident": await bearer(resident),
        "grid_staff": await bearer(await make_user("grid.sun", Role.GRID_STAFF, cell=community)),
        "bureau": await bearer(await make_user("bureau.chen", Role.BUREAU_STAFF)),
    }
    seen: dict[str, dict[str, Any]] = {}
    for reader, headers in readers.items():
        # WHEN each reads every cell's head, once on each read path
        compiled = await gql(client, HEADS, headers={**headers, **READ_PATH["report"]})
        resolved = await gql(client, HEADS, headers={**headers, **READ_PATH["resolvers"]})
        # THEN the compiled path ran, and both paths gave the same answer
        assert compiled.get("extensions") == {"readPath": "compiled"}, reader
        assert compiled["data"] == resolved["data"], reader
        heads = {n["code"]: n["head"] for n in compiled["data"]["gridCells"]["nodes"] if n["head"]}
        seen[reader] = heads
    grid, own = (await GridCell.get(head_id=head.id)).code, own_cell.code
    # AND only staff see others' contacts, masked; the public and residents get none at all
    for reader in ("anonymous", "resident"):
        assert (
            seen[reader][grid]["name"],
            seen[reader][grid]["mobile"],
            seen[reader][grid]["residentId"],
        ) == (
            "周**",
            None,
            None,
        ), reader
    for reader in ("grid_staff", "bureau"):
        assert (
            seen[reader][grid]["name"],
            seen[reader][grid]["mobile"],
            seen[reader][grid]["residentId"],
        ) == (
            "周建国",
            "139****1111",
            "330482********0027",
        ), reader
    # AND a resident sees their own in full
    assert (seen["resident"][own]["mobile"], seen["resident"][own]["masked"]) == ("13812341234", False)
    assert seen["anonymous"][own]["mobile"] is None
