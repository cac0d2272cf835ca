"""GraphQL: the verifier says who sees a record (`activityVerify` public/detailsPublic, by type
when not given) and changes it later (`activitySetPublic`, audited, `write:activities`)."""

from __future__ import annotations

from typing import Any

import httpx

from domain.activities.models import Activity
from domain.audit.models import AuditEntry
from tests.api.graphql import bearer, global_id, gql
from tests.factories_activities import build_cast, submitted_activity
from tests.factories_privacy import MEDIATION_NARRATIVE, build_privacy_world

VERIFY = """mutation ($input: ActivityVerifyInput!) {
  activityVerify(input: $input) { activity { status isPublic detailsPublic } userErrors { code } } }"""
SET_PUBLIC = """mutation ($input: ActivitySetPublicInput!) {
  activitySetPublic(input: $input) {
    activity { isPublic detailsPublic narrative } userErrors { code message } } }"""
ONE = "query ($id: ID!) { activity(id: $id) { title isPublic detailsPublic narrative cell { code } } }"


async def test_the_verifier_says_who_sees_the_record_or_the_type_decides(client: httpx.AsyncClient) -> None:
    # GIVEN three visits awaiting review and the grid staff over them
    cast = await build_cast()
    staff = await bearer(cast.users["staff.zhou"], "write:activities")
    visits = [
        await submitted_activity(cast.leader, cast.tree.micro_grids[0], title=f"走访 {i}") for i in range(3)
    ]
    # WHEN they verify one without a choice, one public, one public with its details
    choices = [{}, {"public": True}, {"public": True, "detailsPublic": True}]
    answers = [
        (await gql(client, VERIFY, headers=staff, input={"id": global_id("Activity", v.id), **choice}))[
            "data"
        ]["activityVerify"]
        for v, choice in zip(visits, choices, strict=True)
    ]
    # THEN a visit is not public by default, and each choice is kept
    assert [a["activity"] for a in answers] == [
        {"status": "VERIFIED", "isPublic": False, "detailsPublic": False},
        {"status": "VERIFIED", "isPublic": True, "detailsPublic": False},
        {"status": "VERIFIED", "isPublic": True, "detailsPublic": True},
    ]
    # ... and the public sees the second without its narrative, at its grid, the third in full
    seen = [(await gql(client, ONE, id=global_id("Activity", v.id)))["data"]["activity"] for v in visits]
    assert seen[0] is None
    assert seen[1] == {
        "title": "走访 1",
        "isPublic": True,
        "detailsPublic": False,
        "narrative": None,
        "cell": {"code": cast.tree.grids[0].code},
    }
    assert seen[2]["narrative"] == "上门了解冬季取暖情况。"


async def test_staff_change_who_sees_a_record_later_audited(client: httpx.AsyncClient) -> None:
    # GIVEN a verified mediation at a micro-grid, not public
    world = await build_privacy_world()
    ref = global_id("Activity", world.mediation.id)
    staff = await bearer(world.cast.users["staff.zhou"], "write:activities")
    assert (await gql(client, ONE, id=ref))["data"]["activity"] is None
    # WHEN the grid staff make it public with its details
    body = await gql(
        client, SET_PUBLIC, headers=staff, input={"id": ref, "public": True, "detailsPublic": True}
    )
    # THEN the public now reads it, its narrative too, and the change is audited
    assert body["data"]["activitySetPublic"] == {
        "activity": {"isPublic": True, "detailsPublic": True, "narrative": MEDIATION_NARRATIVE},
        "userErrors": [],
    }
    public = (await gql(client, ONE, id=ref))["data"]["activity"]
    assert public["narrative"] == MEDIATION_NARRATIVE
    assert public["cell"] == {"code": world.cast.tree.grids[0].code}  # never the micro-grid
    entry = await AuditEntry.get(action="activity.set_public")
    assert (entry.object_id, entry.summary["public"], entry.summary["details_public"]) == (
        str(world.mediation.id),
        True,
        True,
    )


async def test_only_staff_who_may_verify_it_with_a_writing_token_change_it(client: httpx.AsyncClient) -> None:
    world = await build_privacy_world()
    ref = global_id("Activity", world.mediation.id)
    attempts = {
        "author": await bearer(world.cast.users["leader.li"], "write:activities"),
        "far staff": await bearer(world.cast.users["staff.far"], "write:activities"),
        "read-only token": await bearer(world.cast.users["staff.zhou"]),
    }
    codes = {}
    for who, headers in attempts.items():
        body = await gql(client, SET_PUBLIC, headers=headers, input={"id": ref, "public": True})
        codes[who] = _refusal(body)
    codes["anonymous"] = _refusal(await gql(client, SET_PUBLIC, input={"id": ref, "public": True}))
    # (the record does not exist for staff of another grid)
    assert codes == {
        "author": "FORBIDDEN",
        "far staff": "NOT_FOUND",
        "read-only token": "FORBIDDEN",
        "anonymous": "UNAUTHENTICATED",
    }
    assert not (await Activity.get(id=world.mediation.id)).is_public
    assert await AuditEntry.filter(action="activity.set_public").count() == 0


def _refusal(body: dict[str, Any]) -> str:
    """The code of the error that refused the mutation (a user error or a top-level one)."""
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    payload = body["data"]["activitySetPublic"]
    assert payload["activity"] is None, body
    return str(payload["userErrors"][0]["code"])
