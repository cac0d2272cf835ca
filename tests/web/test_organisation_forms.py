"""The registry's staff forms: filing and registering on `/organisations/new`, and the small forms
of an organisation's page. Every error at once beside its input, nothing saved; each form offered
and accepted only for those the policy allows; CSRF required. Both databases."""

from __future__ import annotations

from datetime import date

import httpx

from domain.access import Role
from domain.accounts.service import SYSTEM, grant_role
from domain.audit.models import AuditEntry
from domain.grids.codes import GridKind
from domain.organisations import members, service
from domain.organisations.models import (
    AnnualReport,
    MemberRole,
    Organisation,
    OrganisationMember,
    OrgStatus,
    RatingRecord,
    ReportStatus,
    Sanction,
)
from domain.people.models import Person
from tests.accounts import make_user
from tests.conftest import SqlLog
from tests.domain.test_organisations import code, filed, registered
from tests.factories import BUREAU, Tree, build_tree, cell
from tests.web.html import Element, parse
from tests.web.session import Browser, signed_in
from web.localtime import today_local

TODAY = today_local()
YESTERDAY = date.fromordinal(TODAY.toordinal() - 1).isoformat()
TOMORROW = date.fromordinal(TODAY.toordinal() + 1).isoformat()


def error_beside(doc: Element, input_id: str) -> str:
    return doc.find(id=f"{input_id}-error").text.strip()


def summary(doc: Element) -> list[str]:
    return [li.text.strip() for li in doc.find(class_="error-summary").find_all("li")]


def filing(tree: Tree, **overrides: str) -> dict[str, str]:
    values = {
        "name": "南河头读书会",
        "legal_form": "COMMUNITY_GROUP",
        "field": "CULTURE_SPORTS",
        "home_cell": str(tree.community.id),
        "filing_number": "当湖备-2026-009",
        "filing_cell": str(tree.community.id),
        "filed_on": YESTERDAY,
        "founded_on": "",
        "summary": "每月共读一本书。",
    }
    return values | overrides


async def bureau(client: httpx.AsyncClient) -> Browser:
    await make_user("bureau.chen", Role.BUREAU_STAFF)
    browser = await signed_in(client, "bureau.chen")
    await browser.open("/organisations/new")
    return browser


async def organiser_of(client: httpx.AsyncClient, organisation: Organisation, username: str) -> Browser:
    user = await make_user(username)
    await grant_role(actor=SYSTEM, user_id=user.id, role=Role.ORGANISER, organisation_id=organisation.id)
    return await signed_in(client, username)


# --- /organisations/new -------------------------------------------------------------------------


async def test_bureau_staff_file_a_community_group_and_it_is_listed(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    browser = await bureau(client)
    # GIVEN bureau staff on the form, WHEN they file a reading club in 南河头社区
    response = await browser.submit("/organisations", filing(tree))
    # THEN they land on its page with a notice, and the directory lists it as filed
    assert response.status_code == 303
    _, doc = await browser.open(response.headers["location"])
    assert doc.find("h1").text == "南河头读书会"
    assert "已保存" in doc.find(class_="alert--success").text
    org = await Organisation.get(name="南河头读书会")
    assert org.status is OrgStatus.FILED
    assert org.filing_number == "当湖备-2026-009"
    _, directory = await browser.open("/organisations")
    assert "南河头读书会" in directory.text
    assert await AuditEntry.filter(action="organisation.file").count() == 1


async def test_bureau_staff_register_a_service_institution(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    browser = await bureau(client)
    form = filing(tree, name="平湖市演示社工服务中心", legal_form="SERVICE_INSTITUTION", field="SOCIAL_WORK")
    form |= {"uscc": code("2"), "registered_on": YESTERDAY, "social_work": "1"}
    response = await browser.submit("/organisations", form)
    assert response.status_code == 303
    org = await Organisation.get(name="平湖市演示社工服务中心")
    assert org.status is OrgStatus.REGISTERED
    assert org.social_work
    assert org.filing_number is None


async def test_several_bad_fields_come_back_at_once_and_nothing_is_saved(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    browser = await bureau(client)
    # GIVEN a one-character name, no field, a future filing date and a social-work flag on a
    # community group, WHEN sent
    bad = filing(tree, name="读", field="", filed_on=TOMORROW, social_work="1", founded_on="2026-13-40")
    response = await browser.submit("/organisations", bad)
    # THEN every error shows beside its input and in the linked summary, values kept
    assert response.status_code == 422
    doc = parse(response.text)
    assert error_beside(doc, "org-name") == "组织名称须为 2–100 个字符"
    assert error_beside(doc, "org-field") == "请选择领域"
    assert error_beside(doc, "org-filed-on") == "日期不能晚于今天"
    assert error_beside(doc, "org-founded-on") == "请输入有效的日期（年-月-日）"
    assert error_beside(doc, "org-social-work") == "社工机构须为登记的社会服务机构"
    assert len(summary(doc)) == 5
    assert doc.find(class_="error-summary").find("a").attrs["href"] == "#org-name"
    assert doc.find(id="org-name").attrs["value"] == "读"
    assert doc.find(id="org-summary").text == "每月共读一本书。"
    # AND nothing was saved
    assert await Organisation.all().count() == 0


async def test_a_bad_credit_code_and_a_duplicate_name_are_shown_beside_their_inputs(
    client: httpx.AsyncClient,
) -> None:
    tree = await build_tree()
    await service.create_organisation(actor=BUREAU, data=registered(tree), today=TODAY)
    browser = await bureau(client)
    form = filing(tree, legal_form="FOUNDATION", field="CHARITY") | {
        "uscc": code("1"),
        "registered_on": YESTERDAY,
    }
    doc = parse((await browser.submit("/organisations", form)).text)
    assert "与组织类型“基金会”不符" in error_beside(doc, "org-uscc")
    form = filing(tree, name="演示公益服务中心")
    doc = parse((await browser.submit("/organisations", form)).text)
    assert error_beside(doc, "org-name") == "已有同名的社会组织"
    assert await Organisation.all().count() == 1


async def test_who_may_open_and_post_the_new_form(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    # GIVEN anonymous, WHEN they open the form, THEN they are sent to sign in
    response = await client.get("/organisations/new")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")
    # AND the directory offers no 新增 button to the public or a resident
    assert "/organisations/new" not in (await client.get("/organisations")).text
    await make_user("resident.li", Role.RESIDENT)
    resident = await signed_in(client, "resident.li")
    _, doc = await resident.open("/organisations")
    assert "/organisations/new" not in doc.text
    assert (await resident.client.get("/organisations/new")).status_code == 403
    assert (await resident.submit("/organisations", filing(tree))).status_code == 403
    assert await Organisation.all().count() == 0


async def test_grid_staff_file_only_in_their_scope(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    town = await cell(GridKind.TOWN, "330482102", "新埭镇", tree.city)
    outside = await cell(GridKind.COMMUNITY, "330482102001", "新埭社区", town)
    await make_user("grid.wang", Role.GRID_STAFF, cell=tree.community)
    browser = await signed_in(client, "grid.wang")
    _, doc = await browser.open("/organisations/new")
    # THEN the form offers only the community in their scope, and only a community group
    offered = [
        o.attrs["value"] for o in doc.find(id="org-filing-cell").find_all("option") if o.attrs["value"]
    ]
    assert offered == [str(tree.community.id)]
    assert [o.attrs["value"] for o in doc.find(id="org-legal-form").find_all("option")] == ["COMMUNITY_GROUP"]
    # WHEN they file outside their scope THEN it is refused and nothing is saved
    form = filing(tree, home_cell=str(outside.id), filing_cell=str(outside.id))
    assert (await browser.submit("/organisations", form)).status_code == 403
    # AND a registration is refused too
    form = filing(tree, legal_form="SOCIAL_GROUP") | {"uscc": code("1"), "registered_on": YESTERDAY}
    assert (await browser.submit("/organisations", form)).status_code == 403
    assert await Organisation.all().count() == 0
    # WHEN they file in their community THEN it is saved
    assert (await browser.submit("/organisations", filing(tree))).status_code == 303
    assert await Organisation.all().count() == 1


async def test_the_form_needs_the_csrf_token(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    browser = await bureau(client)
    response = await client.post("/organisations", data=filing(tree))
    assert response.status_code == 403
    assert await Organisation.all().count() == 0
    assert browser.token  # the same browser with its token succeeds
    assert (await browser.submit("/organisations", filing(tree))).status_code == 303


# --- an organisation's page ---------------------------------------------------------------------


async def test_bureau_actions_upgrade_sanction_rate_and_deregister(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    org = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    browser = await bureau(client)
    page = f"/organisations/{org.id}"
    _, doc = await browser.open(page)
    assert doc.find(id="upgrade-form") is not None
    assert not doc.find_all(id="rating-form")
    # WHEN the upgrade has a code of another form and a future date THEN both errors show
    bad = {"legal_form": "SOCIAL_GROUP", "uscc": code("2"), "registered_on": TOMORROW}
    doc = parse((await browser.submit(f"{page}/upgrade", bad)).text)
    assert "与组织类型“社会团体”不符" in error_beside(doc, "upgrade-uscc")
    assert error_beside(doc, "upgrade-on") == "日期不能晚于今天"
    assert doc.find(id="upgrade-form").attrs.get("open") is not None
    assert doc.find("p", class_="alert--error").find("a").attrs["href"] == "#upgrade-form"
    assert (await Organisation.get(id=org.id)).status is OrgStatus.FILED
    # WHEN fixed THEN registered, with a notice
    good = {"legal_form": "SOCIAL_GROUP", "uscc": code("1"), "registered_on": YESTERDAY}
    response = await browser.submit(f"{page}/upgrade", good)
    assert response.headers["location"] == f"{page}?done=upgraded"
    assert (await Organisation.get(id=org.id)).status is OrgStatus.REGISTERED
    # WHEN listed without a reason THEN the error is beside the reason
    listing = {"list": "ABNORMAL", "reason": "", "source": "平湖市民政局", "listed_on": YESTERDAY}
    doc = parse((await browser.submit(f"{page}/sanctions", listing)).text)
    assert error_beside(doc, "sanction-reason") == "列入原因须为 1–500 个字符"
    assert await Sanction.all().count() == 0
    await browser.submit(f"{page}/sanctions", listing | {"reason": "未按时报送年报"})
    sanction = await Sanction.get(organisation_id=org.id)
    _, doc = await browser.open(page)
    # WHEN lifted without a reason THEN refused beside it, with it THEN lifted
    doc = parse((await browser.submit(f"{page}/sanctions/{sanction.id}/lift", {"on": YESTERDAY})).text)
    assert error_beside(doc, f"lift-{sanction.id}-reason") == "请填写移出原因"
    await browser.submit(
        f"{page}/sanctions/{sanction.id}/lift", {"on": TODAY.isoformat(), "reason": "已补报"}
    )
    assert (await Sanction.get(id=sanction.id)).removal_reason == "已补报"
    # AND a rating and a deregistration go through
    await browser.submit(f"{page}/ratings", {"level": "A4", "rated_on": YESTERDAY})
    assert await RatingRecord.filter(organisation_id=org.id).count() == 1
    response = await browser.submit(f"{page}/deregister", {"on": TODAY.isoformat(), "reason": "自行解散"})
    assert response.status_code == 303
    assert (await Organisation.get(id=org.id)).status is OrgStatus.DEREGISTERED


async def test_an_organiser_keeps_members_and_reports_of_their_own_organisation_only(
    client: httpx.AsyncClient,
) -> None:
    tree = await build_tree()
    mine = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    other = await service.create_organisation(
        actor=BUREAU, data=filed(tree, "演示文体队", filing_number="当湖备-2019-002"), today=TODAY
    )
    person = await Person.create(name="沈一鸣", mobile="13912345678")
    browser = await organiser_of(client, mine, "organiser.shen")
    # THEN the header and the workbench lead to their organisation
    _, doc = await browser.open("/workbench")
    assert doc.find("nav", id="site-nav").find("a", href="/me/organisation") is not None
    assert doc.find("a", href=f"/organisations/{mine.id}") is not None
    response = await browser.client.get("/me/organisation")
    assert response.headers["location"] == f"/organisations/{mine.id}"
    # AND their page offers members and reports, not the bureau's forms
    _, doc = await browser.open(f"/organisations/{mine.id}")
    assert doc.find(id="member-form") is not None
    assert doc.find(id="report-form") is not None
    assert not doc.find_all(id="sanction-form")
    assert not doc.find_all(id="deregister-form")
    # WHEN they name a contact by a wrong mobile and a future date THEN both errors show
    bad = {"person_name": "沈一鸣", "person_mobile": "13900000000", "role": "CONTACT", "started_on": TOMORROW}
    doc = parse((await browser.submit(f"/organisations/{mine.id}/members", bad)).text)
    assert error_beside(doc, "member-mobile") == "没有找到姓名与手机号都相符的人员，请核对"
    assert "请填写日期" not in doc.text
    good = bad | {"person_mobile": "13912345678", "started_on": YESTERDAY}
    assert (await browser.submit(f"/organisations/{mine.id}/members", good)).status_code == 303
    member = await OrganisationMember.get(organisation_id=mine.id, person_id=person.id)
    # AND they submit last year's report, and end the contact's role
    year = str(TODAY.year - 1)
    assert (await browser.submit(f"/organisations/{mine.id}/reports", {"year": year})).status_code == 303
    end = {"ended_on": TODAY.isoformat()}
    assert (await browser.submit(f"/organisations/{mine.id}/members/{member.id}/end", end)).status_code == 303
    # WHEN they open another organisation THEN it offers no forms, and posting to it is refused
    _, doc = await browser.open(f"/organisations/{other.id}")
    assert not doc.find_all(id="member-form")
    assert not doc.find_all(id="actions-heading")
    assert (await browser.submit(f"/organisations/{other.id}/members", good)).status_code == 403
    assert (await browser.submit(f"/organisations/{other.id}/reports", {"year": year})).status_code == 403
    assert await OrganisationMember.filter(organisation_id=other.id).count() == 0
    assert await AnnualReport.filter(organisation_id=other.id).count() == 0
    # AND the bureau's forms are refused on their own organisation too
    listing = {"list": "ABNORMAL", "reason": "x", "source": "y", "listed_on": YESTERDAY}
    assert (await browser.submit(f"/organisations/{mine.id}/sanctions", listing)).status_code == 403
    assert await Sanction.all().count() == 0


async def test_the_bureau_accepts_or_returns_a_report_with_a_note(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    org = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    report = await members.submit_annual_report(actor=BUREAU, organisation_id=org.id, year=2025, today=TODAY)
    browser = await bureau(client)
    page = f"/organisations/{org.id}"
    await browser.open(page)
    # WHEN returned without a note THEN refused beside the note
    doc = parse((await browser.submit(f"{page}/reports/{report.id}/decide", {"decision": "return"})).text)
    assert error_beside(doc, f"decide-{report.id}-note") == "退回年报须说明原因"
    assert (await AnnualReport.get(id=report.id)).status is ReportStatus.SUBMITTED
    form = {"decision": "return", "note": "缺少财务报表"}
    response = await browser.submit(f"{page}/reports/{report.id}/decide", form)
    assert response.headers["location"] == f"{page}?done=report-returned"
    _, doc = await browser.open(response.headers["location"])
    assert "已退回年度报告" in doc.text
    assert "缺少财务报表" in doc.text


async def test_page_forms_refuse_anonymous_residents_and_grid_staff_elsewhere(
    client: httpx.AsyncClient,
) -> None:
    tree = await build_tree()
    org = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    page = f"/organisations/{org.id}"
    # GIVEN anonymous WHEN they post (with the page's token) THEN they are sent to sign in
    anonymous = Browser(client)
    _, doc = await anonymous.open(page)
    assert not doc.find_all(id="actions-heading")
    await anonymous.open("/signin")
    response = await anonymous.submit(f"{page}/deregister", {"on": YESTERDAY, "reason": "x"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")
    await make_user("resident.li", Role.RESIDENT)
    resident = await signed_in(client, "resident.li")
    _, doc = await resident.open(page)
    assert not doc.find_all(id="actions-heading")
    assert (await resident.submit(f"{page}/deregister", {"on": YESTERDAY, "reason": "x"})).status_code == 403
    assert (await resident.submit(f"{page}/reports", {"year": "2025"})).status_code == 403
    # AND grid staff over the filing keep members, but not the bureau's forms
    await make_user("grid.wang", Role.GRID_STAFF, cell=tree.community)
    grid = await signed_in(client, "grid.wang")
    _, doc = await grid.open(page)
    assert doc.find(id="member-form") is not None
    assert not doc.find_all(id="deregister-form")
    assert (await grid.submit(f"{page}/deregister", {"on": YESTERDAY, "reason": "x"})).status_code == 403
    assert (await Organisation.get(id=org.id)).status is OrgStatus.FILED
    assert not await OrganisationMember.exists(organisation_id=org.id, role=MemberRole.MEMBER)


# --- the directory's community filter ------------------------------------------------------------


async def test_the_directory_narrows_to_a_village_or_community_of_the_chosen_town(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    tree = await build_tree()
    await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    in_village = filed(
        tree,
        "演示村文体队",
        filing_number="当湖备-2020-001",
        home_cell_id=tree.village.id,
        filing_cell_id=tree.village.id,
    )
    await service.create_organisation(actor=BUREAU, data=in_village, today=TODAY)
    # GIVEN no town chosen THEN the community filter offers nothing yet
    doc = parse((await client.get("/organisations")).text)
    assert [o.text for o in doc.find(id="orgs-community").find_all("option")] == ["全部"]
    # WHEN a town is chosen THEN its villages and communities are offered, in one more statement
    sql_log.reset()
    doc = parse((await client.get("/organisations", params={"town": tree.town.code})).text)
    assert sql_log.count == 6  # towns, the town's units, the page, its cells, the count, the totals
    assert [o.text for o in doc.find(id="orgs-community").find_all("option")] == [
        "全部",
        "南河头社区",
        "演示村",
    ]
    # WHEN the village is chosen THEN only its organisation is listed
    params = {"town": tree.town.code, "community": tree.village.code}
    doc = parse((await client.get("/organisations", params=params)).text)
    assert [card.find("a").text for card in doc.find_all(class_="org-card")] == ["演示村文体队"]
    params["community"] = tree.community.code
    doc = parse((await client.get("/organisations", params=params)).text)
    assert [card.find("a").text for card in doc.find_all(class_="org-card")] == ["演示邻里互助队"]


async def test_the_new_form_reads_in_a_fixed_number_of_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    tree = await build_tree()
    browser = await bureau(client)
    counts, villages = [], 0
    for start, batch in ((10, 2), (20, 30)):
        for n in range(start, start + batch):
            await cell(GridKind.VILLAGE, f"330482001{200 + n:03d}", f"演示村{n}", tree.town)
        villages += batch
        sql_log.reset()
        _, doc = await browser.open("/organisations/new")
        counts.append(sql_log.count)
        # "请选择", the town, its community and village, and the villages added
        assert len(doc.find(id="org-home-cell").find_all("option")) == 1 + 3 + villages
    # the session, the places
    assert counts == [counts[0]] * 2
    assert counts[0] == 3
