"""The bureau's venture-funding pages (`/funding/manage`): bureau staff only (403 for everyone else
signed in, sign-in for the anonymous); the round form with every error at once and the freeze
once the call opened; the eligibility queue with the automatic checks; the allocation within the
pool; two different approvers above the threshold; payments, reclaims and evaluation scores; and
the statements each page costs. Both databases."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from domain.access import Role
from domain.audit.models import AuditEntry
from domain.funding import rounds
from domain.funding.models import (
    Application,
    ApplicationEvent,
    AppStatus,
    Evaluation,
    FundingRound,
    Reclaim,
    RoundStage,
    Tranche,
    TrancheStatus,
)
from domain.organisations.models import Organisation
from domain.review import service as review_service
from domain.review.models import (
    Assignment,
    MemberSource,
    PanelEntry,
)
from domain.review.rubric import FUNDING_RUBRIC
from tests.conftest import SqlLog
from tests.factories import build_tree
from tests.factories_funding import (
    CLERK,
    TODAY,
    open_round,
    registered_org,
    reviewed_rows,
    round_input,
    submitted,
    to_review,
)
from tests.factories_review import full_sheet, make_reviewer
from tests.web.funding_staff_world import approved_project, reviewed_round, running_project, someone, staff
from tests.web.html import Element, parse
from tests.web.session import Browser
from web.localtime import today_local

pytestmark = pytest.mark.usefixtures("funding_clerks")

OTHERS = [Role.GRID_STAFF, Role.ORGANISER, Role.REVIEWER, Role.ADMIN, Role.RESIDENT]


def error_beside(doc: Element, input_id: str) -> str:
    return doc.find(id=f"{input_id}-error").text.strip()


def round_form(**overrides: str | list[str]) -> dict[str, str | list[str]]:
    values: dict[str, str | list[str]] = {
        "edition": "2",
        "year": "2027",
        "title": "第二届公益创投",
        "pool": "1,000,000.50",
        "cap": "50000",
        "max_grant_share_pct": "60",
        "min_matching_share_pct": "40",
        "max_applications_per_org": "2",
        "allow_filed": "1",
        "plan_percent": ["50", "30", "20", ""],
        "plan_trigger": ["SIGNING", "MIDTERM_PASS", "FINAL_PASS", ""],
        "publicity_days": "7",
        "pass_mark": "60",
        "second_approval": "10000",
    }
    return values | overrides


# --- who may open the pages -----------------------------------------------------------------------


PAGES = ["", "/new", "/{id}/edit", "/{id}/eligibility", "/{id}/allocation", "/tranches"]


@pytest.mark.parametrize("page", PAGES)
async def test_each_page_is_for_bureau_staff_only(client: httpx.AsyncClient, page: str) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    funding_round = await rounds.create_round(actor=CLERK, data=round_input())
    url = "/funding/manage" + page.replace("{id}", str(funding_round.id))
    # GIVEN an anonymous visitor WHEN they open the page THEN they are sent to sign in
    response = await client.get(url)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin?next=/funding/manage")
    # GIVEN anyone signed in without the bureau role THEN the page is refused
    for role in OTHERS:
        browser = await someone(client, role, tree)
        response, doc = await browser.open(url)
        assert response.status_code == 403, role
        assert "只有民政局工作人员可以管理公益创投" in doc.text
        client.cookies.clear()
    # GIVEN bureau staff THEN it opens
    browser = await staff(client)
    response, doc = await browser.open(url)
    assert response.status_code == 200
    assert doc.find("h1") is not None


# --- rounds -------------------------------------------------------------------------------------


async def test_staff_create_a_round_in_yuan_and_it_is_listed_with_drafts(client: httpx.AsyncClient) -> None:
    browser = await staff(client)
    await rounds.create_round(actor=CLERK, data=round_input(title="第一届公益创投（草稿）"))
    # GIVEN staff find the pages from their workbench
    _, doc = await browser.open("/workbench")
    assert doc.find("a", href="/funding/manage").text == "公益创投管理"
    _, doc = await browser.open("/funding/manage/new")
    assert doc.find(id="round-edition").attrs["value"] == "2"  # the next edition is offered
    # WHEN they save a round with a pool of 1,000,000.50 元
    response = await browser.submit("/funding/manage", round_form())
    # THEN it is stored in fen, listed beside the draft, and audited
    assert response.status_code == 303
    created = await FundingRound.get(edition=2)
    assert (created.pool_fen, created.cap_fen, created.second_approval_over_fen) == (
        100_000_050,
        5_000_000,
        1_000_000,
    )
    assert created.tranche_plan == [
        {"percent": 50, "trigger": "SIGNING"},
        {"percent": 30, "trigger": "MIDTERM_PASS"},
        {"percent": 20, "trigger": "FINAL_PASS"},
    ]
    _, doc = await browser.open(response.headers["location"])
    assert "已新建轮次" in doc.find(class_="alert--success").text
    names = [th.text for th in doc.find_all("th", class_="data-table__name")]
    assert [n.split()[0] for n in names] == ["第二届公益创投", "第一届公益创投（草稿）"]
    assert "1,000,000.50 元" in doc.text
    assert await AuditEntry.filter(action="funding.round_create").count() == 2


async def test_several_bad_inputs_come_back_at_once_and_nothing_is_saved(client: httpx.AsyncClient) -> None:
    browser = await staff(client)
    await browser.open("/funding/manage/new")
    # GIVEN a one-character title, a pool with three decimals, shares over 100%, a plan of 90%
    # and a four-day publicity period
    bad = round_form(
        title="创",
        pool="12.345",
        max_grant_share_pct="70",
        min_matching_share_pct="40",
        plan_percent=["50", "20", "20", ""],
        publicity_days="4",
    )
    response = await browser.submit("/funding/manage", bad)
    # THEN each error shows beside its input and in the summary, the values kept, nothing saved
    assert response.status_code == 422
    doc = parse(response.text)
    assert error_beside(doc, "round-title") == "名称须为 2–100 个字符"
    assert error_beside(doc, "round-pool") == "请填写资金池（元，最多两位小数）"
    assert error_beside(doc, "round-min-matching") == "资助比例上限与配套比例下限之和不能超过 100%"
    assert error_beside(doc, "round-plan") == "各期拨付比例之和须为 100%（现为 90%）"
    assert error_beside(doc, "round-publicity") == "公示期不少于 5 个工作日"
    summary = [li.text.strip() for li in doc.find(class_="error-summary").find_all("li")]
    assert len(summary) == 5
    assert doc.find(id="round-pool").attrs["value"] == "12.345"
    assert await FundingRound.all().count() == 0


async def test_editing_after_the_call_opened_is_refused_with_the_domains_message(
    client: httpx.AsyncClient,
) -> None:
    funding_round = await rounds.create_round(actor=CLERK, data=round_input())
    browser = await staff(client)
    _, doc = await browser.open(f"/funding/manage/{funding_round.id}/edit")
    assert not doc.find_all(class_="alert--warning")
    # GIVEN staff open the call from the list, confirming the move
    _, listing = await browser.open("/funding/manage")
    forms = listing.find(id=f"round-{funding_round.id}").find_all("form")
    assert "规则将冻结" in next(f for f in forms if "申报中" in f.text).attrs["hx-confirm"]
    response = await browser.submit(f"/funding/manage/{funding_round.id}/stage", {"to": "OPEN"})
    assert response.status_code == 303
    # WHEN they change the pool on the (now frozen) round
    _, doc = await browser.open(f"/funding/manage/{funding_round.id}/edit")
    assert "规则已冻结" in doc.find(class_="alert--warning").text
    response = await browser.submit(
        f"/funding/manage/{funding_round.id}", round_form(edition="1", pool="900000")
    )
    # THEN the domain's refusal is shown and nothing changed
    assert response.status_code == 422
    assert "轮次申报中，规则已冻结，不能修改" in parse(response.text).find(class_="error-summary").text
    unchanged = await FundingRound.get(id=funding_round.id)
    assert (unchanged.pool_fen, unchanged.title) == (100_000_00, "第一届公益创投")


async def test_a_stage_the_round_cannot_reach_is_refused_on_its_row(client: httpx.AsyncClient) -> None:
    # GIVEN a draft round WHEN staff post a move straight to 已结束
    funding_round = await rounds.create_round(actor=CLERK, data=round_input())
    browser = await staff(client)
    await browser.open("/funding/manage")
    response = await browser.submit(f"/funding/manage/{funding_round.id}/stage", {"to": "FINISHED"})
    # THEN the domain's refusal shows on the round's row, and the round stays a draft
    assert response.status_code == 422
    doc = parse(response.text)
    assert error_beside(doc, f"stage-{funding_round.id}") == "轮次草稿，不能变更为已结束"
    assert (await FundingRound.get(id=funding_round.id)).stage is RoundStage.DRAFT


# --- eligibility ---------------------------------------------------------------------------------


async def test_the_queue_shows_the_automatic_checks_and_records_each_decision_with_its_reason(
    client: httpx.AsyncClient,
) -> None:
    world = await reviewed_round()
    browser = await staff(client)
    url = f"/funding/manage/{world.round.id}/eligibility"
    _, doc = await browser.open(url)
    # GIVEN two submitted applications, one from an organisation listed since it submitted
    clean = doc.find(id=f"elig-{world.clean.id}")
    listed = doc.find(id=f"elig-{world.listed.id}")
    assert "自动检查通过" in clean.text
    assert "申报组织不符合条件：列入严重违法失信名单" in listed.text
    # WHEN staff confirm the listed one as eligible THEN the domain refuses with the problem
    form = {"decision": "ELIGIBLE", "reason": "材料齐全"}
    response = await browser.submit(f"/funding/manage/applications/{world.listed.id}/eligibility", form)
    assert response.status_code == 422
    refused = parse(response.text).find(id=f"elig-{world.listed.id}")
    assert "申报组织不符合条件" in refused.find(class_="alert--error").text
    assert refused.find("textarea").text == "材料齐全"
    assert (await Application.get(id=world.listed.id)).status is AppStatus.SUBMITTED
    # WHEN a decision comes without a reason THEN it is asked for beside the input
    response = await browser.submit(
        f"/funding/manage/applications/{world.clean.id}/eligibility", {"decision": "ELIGIBLE", "reason": " "}
    )
    assert response.status_code == 422
    assert error_beside(parse(response.text), f"elig-{world.clean.id}-reason") == "请填写理由"
    # WHEN they find it ineligible with a reason THEN the decision and its reason are recorded
    form = {"decision": "INELIGIBLE", "reason": "列入失信名单"}
    response = await browser.submit(f"/funding/manage/applications/{world.listed.id}/eligibility", form)
    assert response.status_code == 303
    moved = await Application.get(id=world.listed.id)
    assert moved.status is AppStatus.INELIGIBLE
    event = await ApplicationEvent.filter(application_id=moved.id).order_by("-id").first()
    assert event is not None
    assert (event.to_status, event.reason) == (AppStatus.INELIGIBLE, "列入失信名单")
    _, doc = await browser.open(response.headers["location"])
    assert "已记录资格审查结论" in doc.find(class_="alert--success").text
    assert not doc.find_all(id=f"elig-{world.listed.id}")
    decided = doc.find(id="decided")
    assert "资格审查未通过" in decided.text
    assert "列入失信名单" in decided.text


# --- allocation ----------------------------------------------------------------------------------


async def test_allocation_funds_in_order_within_the_pool_and_shows_what_is_left(
    client: httpx.AsyncClient,
) -> None:
    world = await reviewed_round()
    browser = await staff(client)
    url = f"/funding/manage/{world.round.id}/allocation"
    _, doc = await browser.open(url)
    assert doc.find(id="pool-left").text == "100,000.00 元"
    assert "尚无已提交的评分表" in doc.find(class_="alert--warning").text
    # WHEN staff allocate by the ranking (40,000, 40,000, 30,000 元 from a pool of 100,000 元)
    assert (
        "按排名" in doc.find("form", action=f"/funding/manage/{world.round.id}/allocate").attrs["hx-confirm"]
    )
    response = await browser.submit(f"/funding/manage/{world.round.id}/allocate")
    assert response.status_code == 303
    # THEN the first two are recommended, the third waitlisted, and 20,000 元 is left
    statuses = [(await Application.get(id=a.id)).status for a in world.ranked]
    assert statuses == [AppStatus.RECOMMENDED, AppStatus.RECOMMENDED, AppStatus.WAITLISTED]
    _, doc = await browser.open(url)
    assert (doc.find(id="pool-held").text, doc.find(id="pool-left").text) == ("80,000.00 元", "20,000.00 元")
    outcomes = [li.find(class_="fund-outcome").text for li in doc.find(class_="fund-ranking").find_all("li")]
    assert outcomes == ["拟资助", "拟资助", "候补"]
    # WHEN they award the waitlisted one its full request THEN the pool refuses, nothing changes
    third = world.ranked[2]
    response = await browser.submit(
        f"/funding/manage/applications/{third.id}/award", {"amount": "30000", "reason": "递补"}
    )
    assert response.status_code == 422
    assert (
        error_beside(parse(response.text), f"award-{third.id}-amount")
        == "资金池余额不足（剩余 20,000.00 元）"
    )
    assert (await Application.get(id=third.id)).status is AppStatus.WAITLISTED
    # WHEN they award what is left THEN it is recommended and the pool is spent, never exceeded
    response = await browser.submit(
        f"/funding/manage/applications/{third.id}/award", {"amount": "20,000.00", "reason": "递补"}
    )
    assert response.status_code == 303
    _, doc = await browser.open(url)
    assert doc.find(id="pool-left").text == "0.00 元"
    assert (await Application.get(id=third.id)).award_fen == 20_000_00


async def test_once_the_review_ranking_exists_the_page_and_the_allocation_follow_it(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN three applications asking 40,000, 40,000 and 30,000 元 from a pool of 100,000 元,
    # each scored by three experts: 5, 7 and 9 on every criterion, so the 30,000 元 one first
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    funding_round = await open_round()
    orgs = [await registered_org(tree, f"排名公益服务中心{i}") for i in range(3)]
    made = [
        await submitted(
            tree, funding_round, org, grant=ask * 100, matching=ask * 100, project_name=f"项目{i + 1}"
        )
        for i, (org, ask) in enumerate(zip(orgs, (40_000, 40_000, 30_000), strict=True))
    ]
    experts = [await make_reviewer(CLERK, f"expert.rank{n}") for n in range(3)]
    for expert in experts:
        await review_service.add_member(
            actor=CLERK, panel_id=funding_round.panel_id, user_id=expert.id, source=MemberSource.POOL
        )
    await to_review(funding_round, made)
    await review_service.draw_reviewers(actor=CLERK, panel_id=funding_round.panel_id, seed=11)
    entries = {e.subject_id: e.id for e in await PanelEntry.filter(panel_id=funding_round.panel_id)}
    for application, score in zip(made, (5, 7, 9), strict=True):
        for expert in experts:
            assignment = await Assignment.get(entry_id=entries[application.id], reviewer_id=expert.id)
            sheet = await review_service.save_scores(
                actor=expert.actor,
                assignment_id=assignment.id,
                scores=full_sheet(FUNDING_RUBRIC, score),
                overall_comment="总体可行",
            )
            await review_service.submit_sheet(actor=expert.actor, sheet_id=sheet.id)
    browser = await staff(client)
    url = f"/funding/manage/{funding_round.id}/allocation"
    # WHEN staff close the review on the page
    response = await browser.submit(f"/funding/manage/{funding_round.id}/finish-review")
    assert response.status_code == 303
    # THEN the page follows the ranking, and offers no second 结束评审
    _, doc = await browser.open(url)
    assert not doc.find_all(class_="alert--warning")
    assert [h.text for h in doc.find(class_="fund-ranking").find_all("h2")] == ["项目3", "项目2", "项目1"]
    assert not doc.find_all("form", action=f"/funding/manage/{funding_round.id}/finish-review")
    # WHEN staff allocate THEN 30,000 and 40,000 元 are funded and the last is waitlisted
    # (no cheaper or later project leap-frogs it: 30,000 元 are left, its 40,000 do not fit)
    await browser.submit(f"/funding/manage/{funding_round.id}/allocate")
    statuses = [(await Application.get(id=a.id)).status for a in reversed(made)]
    assert statuses == [AppStatus.RECOMMENDED, AppStatus.RECOMMENDED, AppStatus.WAITLISTED]
    # AND the page keeps the ranking's order (the awarded ones are still ranked), without the
    # warning that nothing was scored
    _, doc = await browser.open(url)
    assert doc.find(id="pool-left").text == "30,000.00 元"
    assert not doc.find_all(class_="alert--warning")
    assert [h.text for h in doc.find(class_="fund-ranking").find_all("h2")] == ["项目3", "项目2", "项目1"]
    outcomes = [li.find(class_="fund-outcome").text for li in doc.find(class_="fund-ranking").find_all("li")]
    assert outcomes == ["拟资助", "拟资助", "候补"]
    # each with its score under the round's rule (the median of three: every criterion x 10)
    scores = [dd.text for dd in doc.find(class_="fund-ranking").find_all("dd", class_="fund-score")]
    assert scores == ["90.003 位专家", "70.003 位专家", "50.003 位专家"]


async def test_staff_sign_an_approved_projects_agreement_on_the_allocation_page(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a project approved for 40,000 元, another already contracted as PH-GY-9
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    project = await running_project(tree)
    application = await approved_project(tree, edition=10)
    browser = await staff(client)
    url = f"/funding/manage/{application.round_id}/allocation"
    _, doc = await browser.open(url)
    form = doc.find("form", action=f"/funding/manage/applications/{application.id}/agreement")
    assert "协议金额 40,000.00 元" in form.text
    assert form.find(id=f"sign-{application.id}-on").attrs["value"] == today_local().isoformat()
    action = f"/funding/manage/applications/{application.id}/agreement"
    before = await ApplicationEvent.filter(application_id=application.id).count()
    # WHEN they sign with no number, with the other project's number, or with tomorrow's date
    refusals = [
        ({"number": " ", "signed_on": TODAY.isoformat()}, "number", "请填写协议编号"),
        ({"number": "PH-GY-9", "signed_on": TODAY.isoformat()}, "number", "协议编号 PH-GY-9 已被使用"),
        ({"number": "PH-GY-10", "signed_on": "2026-02-30"}, "on", "请输入有效的日期（年-月-日）"),
        (
            {"number": "PH-GY-10", "signed_on": (today_local() + timedelta(days=1)).isoformat()},
            "on",
            "日期不能晚于今天",
        ),
    ]
    for values, input_name, message in refusals:
        response = await browser.submit(action, values)
        # THEN each is refused beside its input, what was typed kept, and nothing is signed
        assert response.status_code == 422
        doc = parse(response.text)
        assert error_beside(doc, f"sign-{application.id}-{input_name}") == message
        assert doc.find(id=f"sign-{application.id}-number").attrs["value"] == values["number"]
    assert (await Application.get(id=application.id)).status is AppStatus.APPROVED
    assert await ApplicationEvent.filter(application_id=application.id).count() == before
    assert not await Tranche.filter(application_id=application.id).exists()
    # WHEN they sign it properly THEN it is contracted and its first tranche (50%) is due
    response = await browser.submit(action, {"number": "PH-GY-10", "signed_on": TODAY.isoformat()})
    assert response.status_code == 303
    assert response.headers["location"] == f"{url}?done=signed"
    _, doc = await browser.open(response.headers["location"])
    assert doc.find(class_="alert--success").text == "已签订资助协议，第 1 期拨付待审批。"
    assert doc.find(id=f"app-{application.id}").find(class_="fund-outcome").text == "已签协议"
    assert not doc.find_all("form", action=action)
    rows = await Tranche.filter(application_id=application.id).order_by("seq")
    assert [(t.amount_fen, t.status) for t in rows] == [
        (20_000_00, TrancheStatus.DUE),
        (12_000_00, TrancheStatus.PLANNED),
        (8_000_00, TrancheStatus.PLANNED),
    ]
    assert project.application.id != application.id


# --- tranches, reclaims, evaluations ------------------------------------------------------------


async def test_a_second_approver_must_be_another_person(client: httpx.AsyncClient) -> None:
    project = await running_project()  # every tranche needs two approvers
    first = await staff(client, "bureau.chen")
    await first.open("/funding/manage/tranches")
    url = f"/funding/manage/tranches/{project.tranche.id}"
    # WHEN the first approves THEN the tranche waits for a second approver
    response = await first.submit(f"{url}/approve")
    assert response.headers["location"].endswith("done=first-approved")
    _, doc = await first.open("/funding/manage/tranches")
    card = doc.find(id=f"tranche-{project.tranche.id}")
    assert "已初审，待复核" in card.text
    assert "须由另一名工作人员复核" in card.text
    # WHEN the same person approves again THEN it is refused with the message, still due
    response = await first.submit(f"{url}/approve")
    assert response.status_code == 422
    refused = parse(response.text)
    assert error_beside(refused, f"approve-{project.tranche.id}") == "复核须由另一名工作人员办理"
    assert refused.find("a", href=f"#tranche-{project.tranche.id}").text.startswith("未保存")
    assert (await Tranche.get(id=project.tranche.id)).status is TrancheStatus.DUE
    # WHEN another staff member approves THEN it is approved, and may be paid
    client.cookies.clear()
    second = await staff(client, "bureau.li")
    await second.open("/funding/manage/tranches")
    assert (await second.submit(f"{url}/approve")).headers["location"].endswith("done=approved")
    tranche = await Tranche.get(id=project.tranche.id)
    assert tranche.status is TrancheStatus.APPROVED
    assert tranche.first_approver_user_id != tranche.second_approver_user_id
    # WHEN they record the payment without its reference THEN it is asked for
    response = await second.submit(f"{url}/pay", {"paid_on": today_local().isoformat(), "reference": ""})
    assert response.status_code == 422
    assert error_beside(parse(response.text), f"pay-{project.tranche.id}-ref") == "请填写付款凭证号"
    response = await second.submit(
        f"{url}/pay", {"paid_on": today_local().isoformat(), "reference": "PZ-001"}
    )
    assert response.status_code == 303
    paid = await Tranche.get(id=project.tranche.id)
    assert (paid.status, paid.payment_reference) == (TrancheStatus.PAID, "PZ-001")


async def test_a_row_that_does_not_exist_is_not_found(client: httpx.AsyncClient) -> None:
    # GIVEN staff WHEN they post to rows that do not exist THEN each is the 404 page
    browser = await staff(client)
    await browser.open("/funding/manage/tranches")
    for url, form in (
        ("/funding/manage/tranches/999999/approve", {}),
        ("/funding/manage/tranches/999999/pay", {"paid_on": TODAY.isoformat(), "reference": "PZ"}),
        ("/funding/manage/evaluations/999999/review", {"score": "80"}),
        ("/funding/manage/applications/999999/reclaim", {"amount": "1", "reason": "x"}),
        ("/funding/manage/applications/999999/award", {"amount": "1", "reason": "x"}),
        ("/funding/manage/999999/stage", {"to": "OPEN"}),
    ):
        assert (await browser.submit(url, form)).status_code == 404, url
    assert (await browser.open("/funding/manage/999999/edit"))[0].status_code == 404


async def test_a_reclaim_needs_a_reason_and_never_exceeds_what_was_paid(client: httpx.AsyncClient) -> None:
    # GIVEN a project whose first tranche (20,000 元) was approved and paid
    project = await running_project(second_approval_over_fen=100_000_00)  # one approver suffices
    browser = await staff(client)
    await browser.open("/funding/manage/tranches")
    base = f"/funding/manage/tranches/{project.tranche.id}"
    await browser.submit(f"{base}/approve")
    await browser.submit(f"{base}/pay", {"paid_on": TODAY.isoformat(), "reference": "PZ-002"})
    _, doc = await browser.open("/funding/manage/tranches")
    card = doc.find(id=f"project-{project.application.id}")
    assert "已拨付 20,000.00 元" in card.text
    url = f"/funding/manage/applications/{project.application.id}/reclaim"
    # WHEN more than was paid is reclaimed THEN it is refused beside the amount
    response = await browser.submit(url, {"amount": "20000.01", "reason": "未按协议使用"})
    assert response.status_code == 422
    assert "不超过已拨付未追回的 20,000.00 元" in error_beside(
        parse(response.text), f"reclaim-{project.application.id}-amount"
    )
    # WHEN no reason is given THEN it is asked for
    response = await browser.submit(url, {"amount": "5000", "reason": ""})
    assert error_beside(parse(response.text), f"reclaim-{project.application.id}-reason") == "请填写追回原因"
    assert await Reclaim.all().count() == 0
    # WHEN a part is reclaimed with its reason THEN it is recorded
    response = await browser.submit(url, {"amount": "5000", "reason": "未按协议使用"})
    assert response.status_code == 303
    reclaim = await Reclaim.get(application_id=project.application.id)
    assert (reclaim.amount_fen, reclaim.reason) == (5_000_00, "未按协议使用")


async def test_staff_score_a_self_assessment(client: httpx.AsyncClient) -> None:
    # GIVEN a submitted mid-term self-assessment, shown to staff
    project = await running_project()
    browser = await staff(client)
    _, doc = await browser.open("/funding/manage/tranches")
    assert "按计划完成中期任务" in doc.find(id=f"evaluation-{project.evaluation_id}").text
    url = f"/funding/manage/evaluations/{project.evaluation_id}/review"
    # WHEN the score is out of range THEN it is refused beside the input
    response = await browser.submit(url, {"score": "101", "comment": ""})
    assert response.status_code == 422
    assert error_beside(parse(response.text), f"eval-{project.evaluation_id}-score") == "得分须在 0–100 之间"
    # WHEN scored 82 against the pass mark of 60 THEN it passes and leaves the queue
    response = await browser.submit(url, {"score": "82", "comment": "进度良好"})
    assert response.status_code == 303
    evaluation = await Evaluation.get(id=project.evaluation_id)
    assert (evaluation.score, evaluation.passed, evaluation.comment) == (82, True, "进度良好")
    _, doc = await browser.open("/funding/manage/tranches")
    assert not doc.find_all(id=f"evaluation-{project.evaluation_id}")


# --- statements per page -----------------------------------------------------------------------


async def _count(browser: Browser, sql_log: SqlLog, url: str) -> int:
    sql_log.reset()
    response, _ = await browser.open(url)
    assert response.status_code == 200
    return sql_log.count


async def test_each_page_reads_in_a_fixed_number_of_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    # GIVEN one round with its applications and one running project, then a second of each
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    first = await reviewed_round(tree, edition=1)
    await running_project(tree, edition=9)
    browser = await staff(client)
    pages = {
        # the session (two statements) and
        "/funding/manage": 3,  # the rounds
        "/funding/manage/new": 3,  # the rounds (for the next edition)
        f"/funding/manage/{first.round.id}/edit": 3,  # the round
        f"/funding/manage/{first.round.id}/eligibility": 7,  # round, applications, eligibility (2), live ones
        f"/funding/manage/{first.round.id}/allocation": 8,  # round, applications, money held, ranking (3)
        "/funding/manage/tranches": 6,  # paid tranches, reclaims, open tranches, evaluations
    }
    before = {url: await _count(browser, sql_log, url) for url in pages}
    # WHEN the round gains reviewed and submitted applications, and there is a second round and
    # a second project (paid)
    await reviewed_rows(first.round, first.orgs[0], 5, 1_000_00)
    await submitted_rows(first.round, first.orgs[1], 5)
    await reviewed_round(tree, edition=2)
    second = await running_project(tree, edition=10, second_approval_over_fen=100_000_00)
    await browser.open("/funding/manage/tranches")
    base = f"/funding/manage/tranches/{second.tranche.id}"
    await browser.submit(f"{base}/approve")
    await browser.submit(f"{base}/pay", {"paid_on": TODAY.isoformat(), "reference": "PZ-003"})
    after = {url: await _count(browser, sql_log, url) for url in pages}
    # THEN each page costs the same whatever the number of rows
    assert before == after == pages
    _, doc = await browser.open(f"/funding/manage/{first.round.id}/eligibility")
    assert len(doc.find_all("article", class_="fund-card")) == 2 + 5
    _, doc = await browser.open(f"/funding/manage/{first.round.id}/allocation")
    assert len(doc.find(class_="fund-ranking").find_all("li")) == 3 + 5


async def submitted_rows(funding_round: FundingRound, org: Organisation, count: int) -> None:
    """`count` submitted applications inserted directly (their path to SUBMITTED is tested elsewhere)."""
    await Application.bulk_create(
        [
            Application(
                round_id=funding_round.id,
                organisation_id=org.id,
                project_name=f"补充项目{i:02d}",
                target_group="居民",
                problem="需求分析",
                plan="实施方案",
                requested_fen=1_000_00,
                budget_total_fen=2_000_00,
                status=AppStatus.SUBMITTED,
            )
            for i in range(count)
        ]
    )
