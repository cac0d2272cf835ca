"""The organisation directory and an organisation's page: public, filtered, masked, in a fixed
number of statements. Both databases."""

from __future__ import annotations

from datetime import date

import httpx

from domain.access import Role
from domain.organisations import members, service
from domain.organisations.models import MemberRole, OrgField, SanctionList
from domain.people.models import Person
from tests.accounts import make_user
from tests.conftest import SqlLog
from tests.domain.test_organisations import TODAY, filed, registered
from tests.factories import BUREAU, Tree, build_tree
from tests.web.html import Element, parse
from tests.web.session import signed_in
from web.pages.organisations import PAGE_SIZE


def names(doc: Element) -> list[str]:
    return [card.find("a").text for card in doc.find_all(class_="org-card")]


async def some_organisations(tree: Tree, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        data = filed(tree, f"演示互助队{i:03d}", filing_number=f"YS-T-{i:04d}")
        await service.create_organisation(actor=BUREAU, data=data, today=TODAY)


async def test_the_directory_filters_and_reads_in_a_fixed_number_of_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    tree = await build_tree()
    await service.create_organisation(actor=BUREAU, data=registered(tree), today=TODAY)
    counts = []
    for batch in (2, 30):
        await some_organisations(tree, batch, start=len(counts) * 100)
        sql_log.reset()
        doc = parse((await client.get("/organisations")).text)
        counts.append(sql_log.count)
        assert len(names(doc)) == min(1 + batch, PAGE_SIZE)
    # towns, the page, its cells, the count, the totals by status
    assert counts == [5, 5]

    doc = parse((await client.get("/organisations", params={"form": "SERVICE_INSTITUTION"})).text)
    assert names(doc) == ["演示公益服务中心"]
    doc = parse((await client.get("/organisations", params={"q": "互助队10"})).text)
    assert names(doc) == [f"演示互助队{i}" for i in range(100, 110)]
    doc = parse((await client.get("/organisations", params={"field": "CULTURE_SPORTS"})).text)
    assert names(doc) == []
    assert "没有符合条件的社会组织" in doc.text


async def test_the_organisation_page_masks_people_for_the_public_and_not_for_staff(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    tree = await build_tree()
    org = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    contact = await Person.create(name="沈一鸣", mobile="13912345678")
    await members.add_member(
        actor=BUREAU,
        organisation_id=org.id,
        person_id=contact.id,
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
    sql_log.reset()
    public = (await client.get(f"/organisations/{org.id}")).text
    assert sql_log.count == 6  # the organisation, cells, members with people, sanctions, ratings, reports
    assert "沈**" in public
    assert "沈一鸣" not in public
    assert "13912345678" not in public
    assert "139****5678" not in public  # the public gets no number at all
    assert "活动异常名录" in public
    assert "目前不能申报" in public

    await make_user("bureau.chen", Role.BUREAU_STAFF)
    browser = await signed_in(client, "bureau.chen")
    staff = (await browser.open(f"/organisations/{org.id}"))[0].text
    assert "沈一鸣" in staff
    assert "139****5678" in staff
    assert (await client.get("/organisations/999999")).status_code == 404


async def test_unknown_filter_values_are_ignored_not_errors(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    await some_organisations(tree, 2)
    response = await client.get("/organisations", params={"form": "NOPE", "rating": "A9", "town": "x"})
    assert response.status_code == 200
    assert len(names(parse(response.text))) == 2
    assert OrgField.MUTUAL_AID.label in response.text
