"""A round's review on the bureau's pages (a link to its panel, 结束评审 on the allocation page)
and its publicity (公示): while it runs, the round's public page shows the period and a signed-in
person's objection form (every error at once beside its input; refused outside the period); the
staff's 公示与异议 page lists each objection with the full contact and answers it; AWARDED is
refused while an objection is open; a late award during the period restarts it. Both databases."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from domain import clock
from domain.access import Role
from domain.funding.models import Application, AppStatus, FundingRound, RoundStage
from domain.review.models import Objection, ObjectionStatus, PanelEntry, ReviewPanel
from tests.accounts import make_user
from tests.conftest import SqlLog
from tests.factories import build_tree
from tests.factories_funding import open_round, registered_org, submitted, to_review
from tests.web.funding_staff_world import staff
from tests.web.html import parse
from tests.web.session import signed_in
from tests.web.test_funding_pages import publicised

pytestmark = pytest.mark.usefixtures("funding_clerks")

# the session, its roles, the round, its panel, the objections, the applications
PUBLICITY_STATEMENTS = 6

OBJECTION = {
    "objection_name": "李明",
    "objection_mobile": "13800138000",
    "objection_text": "该项目申报的场地并未落实，请核实。",
}


async def _running(days_left: int = 5) -> tuple[FundingRound, Application]:
    """A publicised round whose publicity runs from yesterday for `days_left` more days (or, with
    a negative number, ended that many days ago): its publicised project."""
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round, (shown, _, _) = await publicised(tree, org)
    today = clock.today()
    starts = today - timedelta(days=1) if days_left >= 0 else today + timedelta(days=days_left - 7)
    await ReviewPanel.filter(id=funding_round.panel_id).update(
        publicity_starts_on=starts, publicity_ends_on=today + timedelta(days=days_left)
    )
    return funding_round, shown


# --- the review on the staff's pages ----------------------------------------------------------------


async def test_staff_reach_the_panel_and_finish_the_review_from_the_allocation_page(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a round under review with one application on its panel
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    funding_round = await open_round(edition=5, title="第五届公益创投")
    made = await submitted(tree, funding_round, await registered_org(tree))
    await to_review(funding_round, [made])
    browser = await staff(client)
    # THEN the round list and the allocation page link to its panel
    _, rows = await browser.open("/funding/manage")
    assert rows.find("tr", id=f"round-{funding_round.id}").find_all(
        "a", href=f"/panels/{funding_round.panel_id}"
    )
    url = f"/funding/manage/{funding_round.id}/allocation"
    _, doc = await browser.open(url)
    assert doc.find_all("a", href=f"/panels/{funding_round.panel_id}")
    # WHEN staff finish the review (with a confirmation)
    form = doc.find("form", action=f"/funding/manage/{funding_round.id}/finish-review")
    assert "确定结束" in form.attrs["hx-confirm"]
    response = await browser.submit(f"/funding/manage/{funding_round.id}/finish-review")
    # THEN the page says so and the application is reviewed
    assert response.status_code == 303
    _, doc = await browser.open(response.headers["location"])
    assert "已结束当前评审阶段" in doc.text
    assert (await Application.get(id=made.id)).status is AppStatus.REVIEWED
    # WHEN the review is finished again THEN the domain's message is shown
    response = await browser.submit(f"/funding/manage/{funding_round.id}/finish-review")
    assert response.status_code == 422
    assert "不能进入下一阶段" in parse(response.text).find(id="allocation-error").text


# --- objections on the public page ----------------------------------------------------------------


async def test_the_anonymous_see_the_period_and_a_sign_in_link(client: httpx.AsyncClient) -> None:
    funding_round, _ = await _running()
    panel = await ReviewPanel.get(id=funding_round.panel_id)
    doc = parse((await client.get(f"/funding/{funding_round.id}")).text)
    section = doc.find(id="publicity")
    assert panel.publicity_ends_on is not None
    assert panel.publicity_ends_on.isoformat() in section.text
    assert section.find_all("a", href=f"/signin?next=/funding/{funding_round.id}")
    assert not doc.find_all(id="objection-form")
    # AND posting anyway sends them to sign in, nothing lodged
    response = await client.post(f"/funding/{funding_round.id}/objections", data=OBJECTION)
    assert response.status_code in (303, 403)
    assert not await Objection.exists()


async def test_before_the_period_starts_its_dates_are_announced_without_the_form(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN results publicised today, the period starting on a later working day
    funding_round, _ = await _running()
    today = clock.today()
    starts, ends = today + timedelta(days=2), today + timedelta(days=9)
    await ReviewPanel.filter(id=funding_round.panel_id).update(
        publicity_starts_on=starts, publicity_ends_on=ends
    )
    await make_user("resident.wu", Role.RESIDENT)
    browser = await signed_in(client, "resident.wu")
    # WHEN a signed-in person opens the round
    _, doc = await browser.open(f"/funding/{funding_round.id}")
    # THEN the period is announced, with no objection form yet
    section = doc.find(id="publicity")
    assert f"公示期：{starts.isoformat()} 至 {ends.isoformat()}。公示开始后" in section.text
    assert not doc.find_all(id="objection-form")


async def test_a_signed_in_person_lodges_an_objection_about_a_publicised_project(
    client: httpx.AsyncClient,
) -> None:
    funding_round, shown = await _running()
    await make_user("resident.li", Role.RESIDENT)
    browser = await signed_in(client, "resident.li")
    url = f"/funding/{funding_round.id}"
    _, doc = await browser.open(url)
    options = [o.attrs.get("value") for o in doc.find(id="objection-application").find_all("option")]
    assert options == ["", str(shown.id)]
    # WHEN they submit a blank name, a bad mobile and too short a text
    bad = {"objection_name": "", "objection_mobile": "12345", "objection_text": "太短"}
    response = await browser.submit(f"{url}/objections", bad)
    # THEN every error is beside its input at once, and nothing is lodged
    assert response.status_code == 422
    doc = parse(response.text)
    for name in ("name", "mobile", "text"):
        assert doc.find(id=f"objection-{name}-error").text, name
    assert not doc.find_all(id="objection-application-error")
    assert doc.find(id="objection-mobile").attrs["value"] == "12345"
    assert not await Objection.exists()
    # WHEN they object to the publicised project with real details
    response = await browser.submit(
        f"{url}/objections", {**OBJECTION, "objection_application": str(shown.id)}
    )
    # THEN they are told it was lodged, against that project's entry on the panel
    assert response.status_code == 303
    _, doc = await browser.open(response.headers["location"])
    assert "已提交异议" in doc.text
    objection = await Objection.get()
    entry = await PanelEntry.get(id=objection.entry_id)
    assert entry.subject_id == shown.id
    assert (objection.name, objection.mobile, objection.status) == (
        "李明",
        "13800138000",
        ObjectionStatus.OPEN,
    )


async def test_outside_the_period_no_form_is_offered_and_an_objection_is_refused(
    client: httpx.AsyncClient,
) -> None:
    funding_round, _ = await _running(days_left=-2)
    await make_user("resident.li", Role.RESIDENT)
    browser = await signed_in(client, "resident.li")
    url = f"/funding/{funding_round.id}"
    _, doc = await browser.open(url)
    assert not doc.find_all(id="objection-form")
    response = await browser.submit(f"{url}/objections", OBJECTION)
    assert response.status_code == 422
    assert "只能在公示期内提出异议" in parse(response.text).find(class_="alert--error").text
    assert not await Objection.exists()


# --- objections on the staff's page ----------------------------------------------------------------


async def test_staff_answer_an_objection_and_only_then_may_award(client: httpx.AsyncClient) -> None:
    # GIVEN an objection lodged during the publicity, which has since ended
    funding_round, shown = await _running()
    await make_user("resident.li", Role.RESIDENT)
    resident = await signed_in(client, "resident.li")
    await resident.open(f"/funding/{funding_round.id}")
    await resident.submit(f"/funding/{funding_round.id}/objections", OBJECTION)
    objection = await Objection.get()
    await ReviewPanel.filter(id=funding_round.panel_id).update(
        publicity_starts_on=clock.today() - timedelta(days=20),
        publicity_ends_on=clock.today() - timedelta(days=1),
    )
    browser = await staff(client)
    url = f"/funding/manage/{funding_round.id}/publicity"
    _, doc = await browser.open(url)
    # THEN staff see it with the full mobile
    item = doc.find("li", id=f"objection-{objection.id}")
    assert item.find("dd", class_="objection-mobile").text == "13800138000"
    assert doc.find(id="open-objections").text == "1"
    # WHEN staff try to award THEN the domain's message is shown on the round's row
    await browser.open("/funding/manage")
    response = await browser.submit(f"/funding/manage/{funding_round.id}/stage", {"to": "AWARDED"})
    assert response.status_code == 422
    assert parse(response.text).find(id=f"stage-{funding_round.id}-error").text == "还有未处理的公示异议"
    assert (await FundingRound.get(id=funding_round.id)).stage is RoundStage.RESULTS_PUBLICIZED
    # WHEN they answer without a decision or an answer THEN both are named, nothing changes
    await browser.open(url)
    resolve = f"/funding/manage/objections/{objection.id}/resolve"
    response = await browser.submit(resolve, {"decision": "", "answer": " "})
    assert response.status_code == 422
    doc = parse(response.text)
    assert doc.find(id=f"objection-{objection.id}-decision-error").text == "请选择处理结论"
    assert doc.find(id=f"objection-{objection.id}-answer-error").text == "请填写书面答复"
    assert (await Objection.get(id=objection.id)).status is ObjectionStatus.OPEN
    # WHEN they dismiss it with a written answer
    response = await browser.submit(
        resolve, {"decision": "DISMISSED", "answer": "经核实，场地已签订使用协议。"}
    )
    assert response.status_code == 303
    _, doc = await browser.open(response.headers["location"])
    assert "已答复异议" in doc.text
    assert "经核实，场地已签订使用协议。" in doc.text
    assert (await Objection.get(id=objection.id)).status is ObjectionStatus.DISMISSED
    # THEN the round may be awarded
    await browser.open("/funding/manage")
    response = await browser.submit(f"/funding/manage/{funding_round.id}/stage", {"to": "AWARDED"})
    assert response.status_code == 303
    assert (await Application.get(id=shown.id)).status is AppStatus.APPROVED


async def test_the_publicity_page_is_for_staff_and_reads_in_a_fixed_number_of_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    funding_round, shown = await _running()
    url = f"/funding/manage/{funding_round.id}/publicity"
    resident = await make_user("resident.li", Role.RESIDENT)
    browser = await signed_in(client, "resident.li")
    assert (await browser.client.get(url)).status_code == 403
    entry = await PanelEntry.get(panel_id=funding_round.panel_id, subject_id=shown.id)
    manager = await staff(client)
    counts = []
    for more in (1, 4):
        for n in range(more):
            await Objection.create(
                panel_id=funding_round.panel_id,
                entry_id=entry.id if n % 2 else None,
                lodged_by_id=resident.id,
                name="李明",
                mobile="13800138000",
                text="异议内容异议内容异议内容",
            )
        sql_log.reset()
        response, _ = await manager.open(url)
        assert response.status_code == 200
        counts.append(sql_log.count)
    assert counts == [PUBLICITY_STATEMENTS, PUBLICITY_STATEMENTS]


async def test_a_late_award_on_the_allocation_page_restarts_the_publicity(client: httpx.AsyncClient) -> None:
    # GIVEN results publicised since yesterday, with money left and a waitlisted project
    funding_round, _ = await _running(days_left=5)
    waitlisted = await Application.get(round_id=funding_round.id, status=AppStatus.WAITLISTED)
    browser = await staff(client)
    url = f"/funding/manage/{funding_round.id}/allocation"
    await browser.open(url)
    # WHEN staff award it the money left
    response = await browser.submit(
        f"/funding/manage/applications/{waitlisted.id}/award", {"amount": "20,000.00", "reason": "递补"}
    )
    # THEN they are told the publicity starts again, and the 公示 page shows the new period
    assert response.headers["location"] == f"{url}?done=republicised"
    _, doc = await browser.open(response.headers["location"])
    assert "公示期从今天起重新计算" in doc.find(class_="alert--success").text
    panel = await ReviewPanel.get(id=funding_round.panel_id)
    assert panel.publicity_starts_on is not None
    assert panel.publicity_starts_on >= clock.today()
    _, doc = await browser.open(f"/funding/manage/{funding_round.id}/publicity")
    assert doc.find(id="publicity-period").text.startswith(panel.publicity_starts_on.isoformat())
    assert (await Application.get(id=waitlisted.id)).status is AppStatus.PUBLICIZING
