"""The organisation directory and an organisation's page: public, filtered, masked, in a fixed
number of statements. Both databases."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from domain.access import Role
from domain.accounts.service import SYSTEM, grant_role
from domain.funding import applications
from domain.organisations import members, service
from domain.organisations.models import MemberRole, OrgField, SanctionList
from domain.people.models import Person
from tests.accounts import make_user
from tests.conftest import SqlLog
from tests.domain.test_organisations import TODAY, filed, registered
from tests.factories import BUREAU, Tree, build_tree
from tests.factories_funding import app_input, open_round, organiser, registered_org, reviewed_rows
from tests.web.html import Element, parse
from tests.web.session import signed_in
from tests.web.test_funding_pages import publicised
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
    # the organisation, cells, members with people, sanctions, funding applications, ratings, reports
    assert sql_log.count == 7
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


def application_rows(doc: Element) -> list[tuple[str, ...]]:
    """The organisation page's funding applications as (project, round, requested, awarded, status)."""
    if not doc.find_all(class_="org-applications"):
        return []
    table = doc.find(class_="org-applications")
    return [
        (tr.find("th").find("a").text.strip(), *(td.text.strip() for td in tr.find_all("td")))
        for tr in table.find("tbody").find_all("tr")
    ]


@pytest.mark.usefixtures("funding_clerks")
async def test_the_organisation_page_lists_the_funding_applications_its_reader_may_see(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    # GIVEN an organisation with a publicised result, a waitlisted and a not-selected project in
    # one round, and a draft in an open round
    tree = await build_tree()
    org = await registered_org(tree, "演示邻里服务中心")
    _, (shown, _, _) = await publicised(tree, org)
    later = await open_round(edition=4, year=2027, title="第四届公益创投")
    draft = await applications.create_application(
        actor=organiser(org), round_id=later.id, data=app_input(tree, org, project_name="邻里议事厅")
    )
    url = f"/organisations/{org.id}"
    # WHEN the public opens its page THEN only the published result shows, with its award
    sql_log.reset()
    public = parse((await client.get(url)).text)
    assert sql_log.count == 7
    assert application_rows(public) == [
        ("银龄食堂", "第3届（2026 年）", "30,000.00 元", "30,000.00 元", "公示中"),
    ]
    # WHEN its organiser opens it THEN every application, the draft first (newest)
    user = await make_user("org.zhou", Role.ORGANISER)
    await grant_role(actor=SYSTEM, user_id=user.id, role=Role.ORGANISER, organisation_id=org.id)
    own = await signed_in(client, "org.zhou")
    _, doc = await own.open(url)
    rows = application_rows(doc)
    assert [r[0] for r in rows] == ["邻里议事厅", "楼道花园", "四点半课堂", "银龄食堂"]
    assert rows[0] == ("邻里议事厅", "第4届（2027 年）", "30,000.00 元", "未核定", "草稿")
    assert (
        doc.find(id=f"application-{draft.id}").find("a").attrs["href"] == f"/funding/applications/{draft.id}"
    )
    # AND bureau staff see them all too; another organisation's organiser only the public one
    await make_user("bureau.chen", Role.BUREAU_STAFF)
    _, doc = await (await signed_in(client, "bureau.chen")).open(url)
    assert len(application_rows(doc)) == 4
    other = await registered_org(tree, "演示另一服务中心")
    user = await make_user("org.wu", Role.ORGANISER)
    await grant_role(actor=SYSTEM, user_id=user.id, role=Role.ORGANISER, organisation_id=other.id)
    _, doc = await (await signed_in(client, "org.wu")).open(url)
    assert [r[0] for r in application_rows(doc)] == [shown.project_name]
    # AND an organisation without any shows no such section
    _, doc = await (await signed_in(client, "org.wu")).open(f"/organisations/{other.id}")
    assert application_rows(doc) == []


@pytest.mark.usefixtures("funding_clerks")
async def test_the_organisation_page_lists_at_most_fifty_applications(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    # GIVEN an organisation with 2, then 60 reviewed applications, seen by bureau staff
    tree = await build_tree()
    org = await registered_org(tree, "演示邻里服务中心")
    funding_round = await open_round(edition=5, title="第五届公益创投")
    await make_user("bureau.chen", Role.BUREAU_STAFF)
    staff = await signed_in(client, "bureau.chen")
    counts = []
    for batch in (2, 58):
        await reviewed_rows(funding_round, org, batch, 1_000_00)
        sql_log.reset()
        _, doc = await staff.open(f"/organisations/{org.id}")
        counts.append(sql_log.count)
    # THEN the newest 50 are listed, said so, in the same statements whatever the number
    assert counts[0] == counts[1]
    assert len(application_rows(doc)) == 50
    assert "仅列出最近 50 项" in doc.text
