"""The public venture-funding pages: `/funding` lists the rounds past their draft, a round's page
shows its rules, published needs and (once publicised) only the published results with their
totals, an application's page masks who moved it for the public; needs collection; 我的申报.
Exact statement counts per page. Both databases."""

from __future__ import annotations

import httpx
import pytest

from domain.access import Role
from domain.accounts.service import SYSTEM, grant_role
from domain.funding import allocation, applications, needs, rounds
from domain.funding.models import Application, AppStatus, FundingRound, Need, NeedStatus, RoundStage
from domain.organisations.models import Organisation
from tests.accounts import make_user
from tests.conftest import SqlLog
from tests.factories import Tree, build_tree
from tests.factories_funding import (
    CLERK,
    TODAY,
    open_round,
    registered_org,
    reviewed,
    round_input,
    submitted,
)
from tests.web.html import parse
from tests.web.session import Browser, signed_in

pytestmark = pytest.mark.usefixtures("funding_clerks")


async def publicised(tree: Tree, org: Organisation) -> tuple[FundingRound, list[Application]]:
    """A round with its results publicised: one project publicising (public), one waitlisted
    (not public), one not selected."""
    funding_round = await open_round(edition=3, title="第三届公益创投", max_applications_per_org=3)
    made = [
        await submitted(tree, funding_round, org, project_name=name, grant=grant, matching=grant)
        for name, grant in (("银龄食堂", 30_000_00), ("四点半课堂", 20_000_00), ("楼道花园", 10_000_00))
    ]
    shown, hidden, dropped = await reviewed(funding_round, made)
    await allocation.award(actor=CLERK, application_id=shown.id, amount_fen=30_000_00, reason="核定")
    for application, to in ((hidden, AppStatus.WAITLISTED), (dropped, AppStatus.NOT_SELECTED)):
        await applications.staff_move(
            actor=CLERK, application_id=application.id, to=to, reason="按排名", today=TODAY
        )
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.RESULTS_PUBLICIZED)
    return funding_round, [shown, hidden, dropped]


async def test_the_list_shows_rounds_past_their_draft_in_wan_with_stage_and_demo_badge(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    # GIVEN a draft round, an open round of 60万元 and a demo round collecting needs
    await rounds.create_round(actor=CLERK, data=round_input(edition=9, title="第九届（草稿）"))
    await open_round(edition=1, title="第一届公益创投", pool_fen=60_0000_00)
    demo = await rounds.create_round(
        actor=CLERK, data=round_input(edition=2, title="第二届公益创投"), is_demo=True
    )
    await rounds.move_round(actor=CLERK, round_id=demo.id, to=RoundStage.NEEDS_COLLECTION)
    # WHEN the public opens /funding
    sql_log.reset()
    response = await client.get("/funding")
    # THEN one statement lists the two public rounds, with pool in 万元, stage and the demo badge
    assert sql_log.count == 1
    doc = parse(response.text)
    cards = doc.texts("li", class_="org-card")
    assert len(cards) == 2
    assert "第一届公益创投" in cards[0]
    assert "第1届·2026 年·资金池 60万元" in cards[0]
    assert "申报中" in cards[0]
    assert "演示数据" not in cards[0]
    assert "需求征集" in cards[1]
    assert "演示数据" in cards[1]
    assert "草稿" not in doc.text


async def test_a_draft_round_is_not_found(client: httpx.AsyncClient) -> None:
    draft = await rounds.create_round(actor=CLERK, data=round_input(edition=9))
    # GIVEN a draft round WHEN anyone opens its page THEN it does not exist for them
    assert (await client.get(f"/funding/{draft.id}")).status_code == 404


async def test_a_round_page_shows_rules_and_only_published_results_with_totals(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round, (shown, hidden, dropped) = await publicised(tree, org)
    # WHEN the public opens the round's page
    sql_log.reset()
    response = await client.get(f"/funding/{funding_round.id}")
    # THEN four statements: the round, its published needs, its published results, and (while
    # the results are publicised) the panel with the publicity period
    assert sql_log.count == 4
    doc = parse(response.text)
    rules = doc.find(class_="funding-rules").text
    assert "单个项目资助上限 50,000.00 元" in rules
    assert "创投资金占比 不超过项目总预算的 60%" in rules
    assert "配套资金 不少于项目总预算的 40%" in rules
    assert "分期拨付" in rules
    assert "结果公示期 5 个工作日" in rules
    # only the publicising project, with its organisation and award in yuan, and the totals
    results = doc.find("table", class_="funding-results")
    rows = results.texts("tr")[1:]
    assert len(rows) == 1
    assert results.find("a").attrs["href"] == f"/funding/applications/{shown.id}"
    assert "演示公益服务中心" in rows[0]
    assert "银龄食堂" in rows[0]
    assert "30,000.00 元" in rows[0]
    assert "公示中" in rows[0]
    assert "四点半课堂" not in response.text  # recommended only: not public yet
    assert "楼道花园" not in response.text
    totals = doc.find(class_="funding-totals").text
    assert "资助合计 30,000.00 元" in totals
    assert "资金池 100,000.00 元" in totals
    assert "结余 70,000.00 元" in totals
    # AND an unpublished application's page does not exist for the public
    assert (await client.get(f"/funding/applications/{hidden.id}")).status_code == 404
    assert (await client.get(f"/funding/applications/{dropped.id}")).status_code == 404


async def test_a_published_result_masks_who_moved_it_for_the_public_not_for_its_organiser(
    client: httpx.AsyncClient,
) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    _, (shown, _, _) = await publicised(tree, org)
    # WHEN the public opens the published project
    doc = parse((await client.get(f"/funding/applications/{shown.id}")).text)
    # THEN the timeline shows the moves and reasons, the people masked, and no project internals
    timeline = doc.find(class_="funding-timeline").text
    assert "拟资助 → 公示中" in timeline
    assert "clerk.wang" not in timeline
    assert "c*********" in timeline
    assert "社区独居老人" not in doc.text
    # WHEN its organiser opens it THEN the names show, with the project's content
    user = await make_user("org.chen")
    await grant_role(actor=SYSTEM, user_id=user.id, role=Role.ORGANISER, organisation_id=org.id)
    browser = await signed_in(client, "org.chen")
    _, own = await browser.open(f"/funding/applications/{shown.id}")
    assert "clerk.wang" in own.find(class_="funding-timeline").text
    assert "社区独居老人" in own.text


async def _collecting(tree: Tree) -> FundingRound:
    funding_round = await rounds.create_round(actor=CLERK, data=round_input())
    return await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.NEEDS_COLLECTION)


async def test_a_resident_submits_a_need_and_only_published_needs_are_public(
    client: httpx.AsyncClient,
) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    funding_round = await _collecting(tree)
    await make_user("resident.lu", Role.RESIDENT, cell=tree.community)
    browser = await signed_in(client, "resident.lu")
    _, doc = await browser.open(f"/funding/{funding_round.id}")
    assert doc.find("form", action=f"/funding/{funding_round.id}/needs")
    # GIVEN the need form, WHEN sent with no cell and a two-character text
    response = await browser.submit(f"/funding/{funding_round.id}/needs", {"cell": "", "text": "路灯"})
    # THEN both errors show beside their inputs and nothing is saved
    assert response.status_code == 422
    bad = parse(response.text)
    assert bad.find(id="need-cell-error").text == "请选择网格单元"
    assert "5–1000" in bad.find(id="need-text-error").text
    assert await Need.all().count() == 0
    # WHEN sent properly THEN it is saved for review, and not public until published
    form = {"cell": str(tree.community.id), "text": "南河头小区楼道照明不足，老人夜间出行不便。"}
    response = await browser.submit(f"/funding/{funding_round.id}/needs", form)
    assert response.status_code == 303
    need = await Need.get()
    assert need.status is NeedStatus.SUBMITTED
    public = (await httpx_anonymous(client, f"/funding/{funding_round.id}")).text
    assert "楼道照明" not in public
    await needs.decide_need(actor=CLERK, need_id=need.id, publish=True)
    public = (await httpx_anonymous(client, f"/funding/{funding_round.id}")).text
    assert "楼道照明" in public
    assert "resident.lu" not in public


async def httpx_anonymous(client: httpx.AsyncClient, url: str) -> httpx.Response:
    """The same app without this client's cookies."""
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as other:
        return await other.get(url)


async def test_an_anonymous_need_goes_to_sign_in_and_needs_a_csrf_token(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    funding_round = await _collecting(tree)
    form = {"cell": str(tree.community.id), "text": "楼道照明不足，老人夜间出行不便。"}
    # GIVEN an anonymous browser with the page's token WHEN it posts a need THEN sign in first
    browser = Browser(client)
    await browser.open("/signin")
    assert "登录</a>后即可提出需求" in (await client.get(f"/funding/{funding_round.id}")).text
    response = await browser.submit(f"/funding/{funding_round.id}/needs", form)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")
    # GIVEN a signed-in resident WHEN the post carries no token THEN it is refused, nothing saved
    await make_user("resident.lu", Role.RESIDENT, cell=tree.community)
    await signed_in(client, "resident.lu")
    response = await client.post(f"/funding/{funding_round.id}/needs", data=form)
    assert response.status_code == 403
    assert await Need.all().count() == 0


async def test_my_applications_lists_the_organisations_applications_in_a_fixed_number_of_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    other = await registered_org(tree, "平湖市另一家服务中心")
    funding_round = await open_round(max_applications_per_org=20)
    await submitted(tree, funding_round, other, project_name="别家的项目")
    # GIVEN anonymous WHEN opening 我的申报 THEN sign in first
    response = await client.get("/funding/applications")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")
    user = await make_user("org.chen")
    await grant_role(actor=SYSTEM, user_id=user.id, role=Role.ORGANISER, organisation_id=org.id)
    browser = await signed_in(client, "org.chen")
    counts = []
    for batch in (1, 5):
        for i in range(batch):
            await submitted(tree, funding_round, org, project_name=f"项目{len(counts)}-{i}")
        sql_log.reset()
        _, doc = await browser.open("/funding/applications")
        counts.append(sql_log.count)
        rows = doc.find("table", class_="my-applications").texts("tr")[1:]
        assert len(rows) == (1 if batch == 1 else 6)
    # the session, its grants, then one statement for the applications with their round and organisation
    assert counts[0] == counts[1]
    assert counts[1] == 3
    assert "别家的项目" not in doc.text
    assert "30,000.00 元" in rows[0]
    assert "已提交" in rows[0]


async def test_an_application_page_reads_in_a_fixed_number_of_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    _, (shown, _, _) = await publicised(tree, org)
    # WHEN the public opens a published project
    sql_log.reset()
    response = await client.get(f"/funding/applications/{shown.id}")
    # THEN the application with round and organisations, whether it is public, its budget, its
    # timeline and its cells
    assert response.status_code == 200
    assert sql_log.count == 5
    # WHEN its organiser opens it THEN the session and its grants, and its tranches and
    # attachments instead of the public check
    user = await make_user("org.chen")
    await grant_role(actor=SYSTEM, user_id=user.id, role=Role.ORGANISER, organisation_id=org.id)
    browser = await signed_in(client, "org.chen")
    sql_log.reset()
    response, _ = await browser.open(f"/funding/applications/{shown.id}")
    assert response.status_code == 200
    assert sql_log.count == 8
