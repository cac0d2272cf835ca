"""The venture-funding journey end to end, in Chromium on the seeded demo: an organiser submits an
application (desktop), bureau staff confirm its eligibility and draw the reviewers, the reviewer
scores it on a phone one criterion at a time, staff close the review, allocate within the pool,
publicise, award, sign the agreement, approve the first tranche with a second approver and record
the payment. Every page is the real one; the only direct set-up is what the product has no page
for (see `end_publicity` and `add_checker`)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from domain import clock
from seeds.accounts import DEMO_PASSWORD
from tests.conftest import LiveServer
from tests.e2e.conftest import ConsoleErrors
from tests.e2e.test_grid_journey import shoot

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
ROUND = "第四届市级公益创投"
PROJECT = "楼道睦邻互助计划"
CHECKER = "journey.checker"
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}


async def add_checker() -> dict[str, int]:
    """A second member of bureau staff, the checker who countersigns a tranche. The demo has one
    bureau account; accounts are made on the admin pages, a journey of its own."""
    from domain.access import Role
    from domain.accounts import service
    from domain.accounts.service import SYSTEM

    user = await service.create_user(
        actor=SYSTEM, name="李复核", username=CHECKER, password=DEMO_PASSWORD, mobile=None
    )
    await service.grant_role(actor=SYSTEM, user_id=user.id, role=Role.BUREAU_STAFF)
    return {"user": user.id}


async def end_publicity(round_id: int) -> dict[str, int]:
    """The publicity period (公示, the round's five working days) over: its dates moved into the past. The
    server's clock is the real one, so the calendar moves instead, as the publicity tests do."""
    from domain.funding.models import FundingRound
    from domain.review.models import ReviewPanel

    funding_round = await FundingRound.get(id=round_id)
    today = clock.today()
    moved = await ReviewPanel.filter(id=funding_round.panel_id).update(
        publicity_starts_on=today - timedelta(days=14), publicity_ends_on=today - timedelta(days=1)
    )
    return {"moved": moved}


def in_server_db(live_server: LiveServer, call: str) -> dict[str, int]:
    """Run `call` (an awaitable expression of this module) in the live server's database."""
    script = (
        "import asyncio, json\n"
        "from api.cli import _with_orm\n"
        "from api.settings import Settings\n"
        "from tests.e2e import test_funding_journey as j\n"
        f"print(json.dumps(asyncio.run(_with_orm(Settings.from_env(), lambda: j.{call}))))\n"
    )
    env = {**os.environ, "LINZHI_DATABASE_URL": live_server.database_url}
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.fixture
def person(browser: Browser, console_errors: ConsoleErrors) -> Iterator[Callable[..., Page]]:
    """A browser context per person (they sign in side by side), each page watched for errors."""
    contexts: list[BrowserContext] = []

    def open_page(username: str, base: str, **options: Any) -> Page:
        context = browser.new_context(locale="zh-CN", **options)
        contexts.append(context)
        page = context.new_page()
        page.on("console", console_errors.on_console)
        page.on("pageerror", console_errors.on_page_error)
        page.goto(f"{base}/signin")
        page.get_by_label("用户名或手机号").fill(username)
        page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(re.compile(r"/workbench$"))
        return page

    yield open_page
    for context in contexts:
        context.close()


def confirm(page: Page) -> None:
    page.once("dialog", lambda dialog: dialog.accept())


def notice(page: Page) -> Locator:
    return page.locator("main .alert--success[role=status]")


def move_round(staff: Page, base: str, stage: str) -> None:
    staff.goto(f"{base}/funding/manage")
    row = staff.locator("tr", has=staff.get_by_role("rowheader", name=re.compile(ROUND)))
    confirm(staff)
    row.get_by_role("button", name=f"进入“{stage}”").click()
    expect(notice(staff)).to_contain_text("已变更阶段。")
    expect(row.locator("td[data-label=阶段]")).to_have_text(stage)


def test_an_application_from_the_form_to_its_first_paid_tranche(
    live_server: LiveServer, person: Callable[..., Page], console_errors: ConsoleErrors, screenshots: Path
) -> None:
    base = live_server.url
    open_page = person
    checker_id = in_server_db(live_server, "add_checker()")["user"]
    assert checker_id

    # --- the organiser, at a desk ------------------------------------------------------------
    # GIVEN demo.organiser's draft, WHEN they open it from 我的申报 and edit it
    organiser: Page = open_page("demo.organiser", base, **DESKTOP)
    organiser.goto(f"{base}/funding/applications")
    organiser.get_by_role("link", name=PROJECT).click()
    expect(organiser.locator("main h1")).to_contain_text(PROJECT)
    organiser.get_by_role("link", name="修改申报").click()
    expect(organiser.locator("main h1")).to_have_text("修改申报")
    # WHEN the first grant line grows to 30,000 元, THEN the live check says the grant is over
    # the round's 60% share, before anything is saved
    organiser.locator("#line-0-amount").fill("30000")
    organiser.get_by_label("申请金额（元）").fill("38000")
    check = organiser.locator("#budget-check")
    errors = check.locator(".budget-check__errors")
    expect(errors).to_contain_text("创投资金不能超过项目总预算的 60%")
    expect(errors).to_contain_text("配套资金不少于项目总预算的 40%")
    expect(errors).not_to_contain_text("申请金额")
    expect(check).to_contain_text("38,000.00 元")
    # AND submitting anyway is refused, the form back with the errors and what was typed
    organiser.get_by_role("button", name="提交申报").click()
    expect(organiser.locator(".error-summary")).to_contain_text("未保存，请按提示修改后重试。")
    expect(organiser.locator(".error-summary")).to_contain_text("创投资金不能超过项目总预算的 60%")
    expect(organiser.locator("#line-0-amount")).to_have_value("30000")
    # WHEN they put it back to 12,000 元, THEN the budget fits the rules
    organiser.locator("#line-0-amount").fill("12000")
    organiser.get_by_label("申请金额（元）").fill("20000")
    expect(check.locator(".budget-check__ok")).to_have_text("预算符合本轮规则。")
    expect(check).to_contain_text("20,000.00 元")
    expect(check).to_contain_text("34,000.00 元")
    # AND they submit it
    organiser.get_by_role("button", name="提交申报").click()
    expect(notice(organiser)).to_contain_text("已提交申报。")
    expect(organiser).to_have_url(re.compile(r"/funding/applications/\d+$"))
    application_id = int(re.findall(r"/funding/applications/(\d+)", organiser.url)[0])
    expect(organiser.locator("main")).to_contain_text("已提交")

    # --- bureau staff: the call closes, eligibility, the review opens --------------------------
    staff: Page = open_page("demo.bureau", base, **DESKTOP)
    move_round(staff, base, "申报截止")
    row = staff.locator("tr", has=staff.get_by_role("rowheader", name=re.compile(ROUND)))
    row.get_by_role("link", name="资格审查").click()
    expect(staff).to_have_url(re.compile(r"/funding/manage/\d+/eligibility$"))
    round_id = int(re.findall(r"/funding/manage/(\d+)/eligibility", staff.url)[0])
    card = staff.locator(f"#elig-{application_id}")
    expect(card).to_contain_text(PROJECT)
    card.get_by_label("资格审查通过").check()
    card.get_by_label("理由").fill("材料齐全，推荐单位有效。")
    card.get_by_role("button", name="提交结论").click()
    expect(notice(staff)).to_contain_text("已记录资格审查结论。")
    expect(staff.locator("#decided")).to_contain_text(PROJECT)
    move_round(staff, base, "评审中")

    # the round's panel: demo.reviewer joins it from the expert pool, and the reviewers are drawn
    staff.goto(f"{base}/funding/manage/{round_id}/allocation")
    staff.get_by_role("link", name="评审组").first.click()
    expect(staff).to_have_url(re.compile(r"/panels/\d+$"))
    expect(staff.locator("main h1")).to_have_text("第4届公益创投评审")
    staff.locator("#member-form summary").click()
    staff.get_by_label("账号用户名").fill("demo.reviewer")
    staff.get_by_label("成员来源").select_option(label="专家库")
    staff.get_by_role("button", name="添加").click()
    expect(staff.locator(".chip-list")).to_contain_text("专家库")
    staff.get_by_role("link", name="评审分配").first.click()
    staff.get_by_label("随机种子").fill("20261205")
    staff.get_by_role("button", name="随机抽取").click()
    expect(staff.locator("#seeds")).to_contain_text("20261205")
    board_row = staff.locator("#board tbody tr", has_text=PROJECT)
    expect(board_row.locator("td.cell--assigned")).to_have_count(1)

    # --- the reviewer, on a phone --------------------------------------------------------------
    reviewer: Page = open_page("demo.reviewer", base, **PHONE)
    reviewer.goto(f"{base}/panels/mine")
    expect(reviewer.locator("main h1")).to_have_text("我的评审任务")
    shoot(reviewer, screenshots, "funding-journey-mine")
    reviewer.get_by_role("link", name=PROJECT).click()
    for n in range(1, 8):
        expect(reviewer.locator(".sheet-progress__text")).to_contain_text(f"第 {n}/8 步")
        reviewer.get_by_label("分数", exact=True).fill(str(6 + n % 4))
        reviewer.get_by_label("评语", exact=True).fill(f"第 {n} 项：扎根楼道，论证清楚。")
        if n == 1:
            shoot(reviewer, screenshots, "funding-journey-score-step")
        reviewer.get_by_role("button", name="保存，下一项" if n < 7 else "保存，去提交").tap()
    expect(reviewer.locator(".sheet-progress__text")).to_contain_text("第 8/8 步")
    expect(reviewer.locator(".sheet-final .score-list__item")).to_have_count(7)
    # 7×20 + 8×20 + 9×15 + 6×15 + 7×10 + 8×10 + 9×10 = 765 of 1000: 76.50 of 100
    expect(reviewer.locator(".sheet-final")).to_contain_text("76.50")
    reviewer.get_by_label("总体评语", exact=True).fill("建议立项。")
    reviewer.get_by_label("我已核对全部评分，提交后不能再修改").check()
    shoot(reviewer, screenshots, "funding-journey-score-final")
    reviewer.get_by_role("button", name="提交评分").tap()
    expect(reviewer.get_by_role("status")).to_contain_text("评分已提交")
    expect(reviewer.locator("#own-heading")).to_contain_text("已提交")
    expect(reviewer.get_by_label("分数", exact=True)).to_have_count(0)
    shoot(reviewer, screenshots, "funding-journey-score-submitted")

    # --- staff: close the review, allocate, publicise ------------------------------------------
    staff.goto(f"{base}/funding/manage/{round_id}/allocation")
    expect(staff.locator("#pool-total")).to_have_text("800,000.00 元")
    confirm(staff)
    staff.get_by_role("button", name="结束评审").click()
    expect(notice(staff)).to_contain_text("已结束当前评审阶段。")
    card = staff.locator(f"#app-{application_id}")
    expect(card.locator(".fund-outcome")).to_have_text("已评审")
    expect(card.locator(".fund-score")).to_have_text("76.501 位专家")
    confirm(staff)
    staff.get_by_role("button", name="按排名分配").click()
    expect(notice(staff)).to_contain_text("已按排名分配")
    expect(card.locator(".fund-outcome")).to_have_text("拟资助")
    expect(card.locator(".fund-figures")).to_contain_text("20,000.00 元")
    expect(staff.locator("#pool-held")).to_have_text("20,000.00 元")
    expect(staff.locator("#pool-left")).to_have_text("780,000.00 元")
    # the review's ranking stands after the allocation, and the closed review cannot be closed again
    expect(staff.locator("main .alert--warning")).to_have_count(0)
    expect(staff.get_by_role("button", name="结束评审")).to_have_count(0)
    shoot(staff, screenshots, "funding-journey-allocation")
    staff.set_viewport_size(PHONE["viewport"])
    shoot(staff, screenshots, "funding-journey-allocation")
    staff.set_viewport_size(DESKTOP["viewport"])

    move_round(staff, base, "结果公示")
    staff.goto(f"{base}/funding/{round_id}")
    expect(staff.locator("main")).to_contain_text(PROJECT)
    expect(staff.locator("main")).to_contain_text("2万元")
    # the period is announced whether it started today (a working day) or starts on the next one
    expect(staff.locator("#publicity")).to_contain_text("公示期：")
    staff.goto(f"{base}/funding/manage/{round_id}/publicity")
    expect(staff.locator("#publicity-period")).to_contain_text(" 至 ")
    expect(staff.locator("#open-objections")).to_have_text("0")
    shoot(staff, screenshots, "funding-journey-publicity")
    staff.set_viewport_size(PHONE["viewport"])
    shoot(staff, screenshots, "funding-journey-publicity")
    staff.set_viewport_size(DESKTOP["viewport"])
    in_server_db(live_server, f"end_publicity({round_id})")
    move_round(staff, base, "已立项")

    # --- the agreement and the first tranche ----------------------------------------------------
    staff.goto(f"{base}/funding/manage/{round_id}/allocation")
    card = staff.locator(f"#app-{application_id}")
    expect(card.locator(".fund-outcome")).to_have_text("已立项")
    card.locator("summary", has_text="签订资助协议").click()
    expect(card).to_contain_text("协议金额 20,000.00 元")
    card.get_by_label("协议编号").fill("PH-GYCT-2026-001")
    staff.set_viewport_size(PHONE["viewport"])
    shoot(staff, screenshots, "funding-journey-agreement")
    staff.set_viewport_size(DESKTOP["viewport"])
    card.get_by_role("button", name="签订协议").click()
    expect(notice(staff)).to_contain_text("已签订资助协议，第 1 期拨付待审批。")
    expect(card.locator(".fund-outcome")).to_have_text("已签协议")

    staff.goto(f"{base}/funding/manage/tranches")
    tranche = staff.locator(".fund-card", has_text=f"{PROJECT} · 第 1 期")
    expect(tranche.locator(".fund-figures")).to_contain_text("10,000.00 元")
    expect(tranche.locator(".fund-figures")).to_contain_text("须两人审批")
    confirm(staff)
    tranche.get_by_role("button", name="审批通过").click()
    expect(notice(staff)).to_contain_text("已初审，须由另一名工作人员复核。")
    expect(tranche).to_contain_text("您已初审此期拨付")

    checker: Page = open_page(CHECKER, base, **DESKTOP)
    checker.goto(f"{base}/funding/manage/tranches")
    tranche = checker.locator(".fund-card", has_text=f"{PROJECT} · 第 1 期")
    expect(tranche.locator(".fund-figures")).to_contain_text("已初审，待复核")
    confirm(checker)
    tranche.get_by_role("button", name="复核通过").click()
    expect(notice(checker)).to_contain_text("已审批。")
    tranche.get_by_label("付款凭证号").fill("PH-ZF-2026-001")
    tranche.get_by_role("button", name="登记拨付").click()
    expect(notice(checker)).to_contain_text("已登记拨付。")
    expect(checker.locator(".fund-card", has_text=f"{PROJECT} · 第 1 期")).to_have_count(0)

    # AND the organiser sees the money on their application
    organiser.goto(f"{base}/funding/applications/{application_id}")
    expect(organiser.locator("main")).to_contain_text("10,000.00 元")
    # the refused submission answers 422, which the browser logs; nothing else may fail
    assert [m for m in console_errors.messages if "status of 422" not in m] == []
