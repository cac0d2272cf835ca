"""The organisation registry in GraphQL: an organisation's members (masked per reader),
sanction entries, ratings, eligibility and the directory totals, read by the resolvers."""

from __future__ import annotations

from datetime import date

import httpx

from domain.access import Role
from domain.organisations import members, service
from domain.organisations.models import MemberRole, SanctionList
from domain.people.models import Person
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.domain.test_organisations import TODAY, filed, registered
from tests.factories import BUREAU, build_tree

PAGE = """
query ($id: ID!) {
  organisation(id: $id) {
    name statusLabel
    members { roleLabel person { name mobile } }
    sanctions { listLabel reason listedOn removedOn }
    ratings { label validUntil }
    eligibility { eligible needsSponsor reasons }
  }
  organisationTotals { status label count }
}
"""


async def test_an_organisation_page_in_graphql_masks_people_and_explains_eligibility(
    client: httpx.AsyncClient,
) -> None:
    tree = await build_tree()
    await service.create_organisation(actor=BUREAU, data=registered(tree), today=TODAY)
    org = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    person = await Person.create(name="沈一鸣", mobile="13912345678")
    await members.add_member(
        actor=BUREAU,
        organisation_id=org.id,
        person_id=person.id,
        role=MemberRole.CONTACT,
        started_on=date(2025, 1, 1),
        today=TODAY,
    )
    await service.add_sanction(
        actor=BUREAU,
        organisation_id=org.id,
        sanction_list=SanctionList.ABNORMAL,
        reason="未报送年报",
        source="平湖市民政局",
        listed_on=date(2026, 5, 1),
        today=TODAY,
    )
    variables = {"id": global_id("Organisation", org.id)}

    public = (await gql(client, PAGE, **variables))["data"]
    page = public["organisation"]
    assert page["members"] == [{"roleLabel": "联系人", "person": {"name": "沈**", "mobile": None}}]
    assert page["sanctions"][0]["listLabel"] == "活动异常名录"
    assert page["eligibility"]["eligible"] is False
    assert page["eligibility"]["needsSponsor"] is True
    assert page["eligibility"]["reasons"] == ["列入活动异常名录（2026-05-01 起）"]
    totals = {row["status"]: row["count"] for row in public["organisationTotals"]}
    assert totals == {"FILED": 1, "REGISTERED": 1, "DEREGISTERED": 0}

    staff_user = await make_user("bureau.chen", Role.BUREAU_STAFF)
    staff = (await gql(client, PAGE, headers=await bearer(staff_user), **variables))["data"]
    assert staff["organisation"]["members"][0]["person"] == {"name": "沈一鸣", "mobile": "139****5678"}
