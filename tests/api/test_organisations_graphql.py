"""The organisation registry in GraphQL: an organisation's members (masked per reader),
sanction entries, ratings, eligibility and the directory totals, read by the resolvers."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from domain.access import Role
from domain.organisations import members, service
from domain.organisations.models import MemberRole, SanctionList
from domain.people.models import Person
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.conftest import SqlLog
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


REPORTS = """query { organisations(first: 50) { nodes { name annualReports { year status note } } } }"""


@pytest.mark.parametrize("organisations", [1, 5])
async def test_annual_reports_are_batched_and_their_notes_kept_from_the_public(
    client: httpx.AsyncClient, sql_log: SqlLog, organisations: int
) -> None:
    # GIVEN organisations, each with a report returned with a note
    tree = await build_tree()
    for i in range(organisations):
        data = filed(tree, f"演示互助队{i}", filing_number=f"当湖备-2019-{i:03d}")
        org = await service.create_organisation(actor=BUREAU, data=data, today=TODAY)
        report = await members.submit_annual_report(
            actor=BUREAU, organisation_id=org.id, year=2025, today=TODAY
        )
        await members.decide_annual_report(
            actor=BUREAU, report_id=report.id, accept=False, note="缺财务报表", today=TODAY
        )
    sql_log.reset()
    # WHEN the public reads the directory with the reports (on the resolvers)
    nodes = (await gql(client, REPORTS, headers={"x-linzhi-read-path": "resolvers"}))["data"][
        "organisations"
    ]["nodes"]
    # THEN each report shows without its note, in two statements whatever the number
    assert [n["annualReports"] for n in nodes] == [
        [{"year": 2025, "status": "RETURNED", "note": None}]
    ] * organisations
    assert sql_log.count == 2, sql_log.statements
    # AND staff read the note
    staff = await bearer(await make_user("bureau.chen", Role.BUREAU_STAFF))
    nodes = (await gql(client, REPORTS, headers=staff))["data"]["organisations"]["nodes"]
    assert nodes[0]["annualReports"][0]["note"] == "缺财务报表"


NODES = """query ($ids: [ID!]!) { nodes(ids: $ids) {
  __typename
  ... on OrganisationMember { roleLabel person { name } }
  ... on OrganisationSanction { listLabel }
  ... on AnnualReport { year }
} }"""


async def test_members_sanctions_and_reports_resolve_by_global_id(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    org = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    person = await Person.create(name="沈一鸣")
    member = await members.add_member(
        actor=BUREAU,
        organisation_id=org.id,
        person_id=person.id,
        role=MemberRole.MEMBER,
        started_on=TODAY,
        today=TODAY,
    )
    sanction = await service.add_sanction(
        actor=BUREAU,
        organisation_id=org.id,
        sanction_list=SanctionList.ABNORMAL,
        reason="未报送年报",
        source="平湖市民政局",
        listed_on=TODAY,
        today=TODAY,
    )
    report = await members.submit_annual_report(actor=BUREAU, organisation_id=org.id, year=2025, today=TODAY)
    ids = [
        global_id("OrganisationMember", member.id),
        global_id("OrganisationSanction", sanction.id),
        global_id("AnnualReport", report.id),
        global_id("AnnualReport", report.id + 100),
    ]
    nodes = (await gql(client, NODES, ids=ids))["data"]["nodes"]
    assert nodes == [
        {"__typename": "OrganisationMember", "roleLabel": "成员", "person": {"name": "沈**"}},
        {"__typename": "OrganisationSanction", "listLabel": "活动异常名录"},
        {"__typename": "AnnualReport", "year": 2025},
        None,
    ]
