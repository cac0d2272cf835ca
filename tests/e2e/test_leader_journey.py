"""A micro-leader's day in Chromium, on the seeded demo: the leader logs a mediation with a photo
on their phone and submits it; the grid staff member verifies it from the review queue (not
public, a mediation) and then makes it public without its details; the leader sees it verified,
the public sees its title at its grid without the narrative. Then the public directory and a
facilitator's session page. No console errors (CSP violations included), no sideways scrolling."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from tests.conftest import LiveServer
from tests.e2e.conftest import ConsoleErrors
from tests.e2e.test_account_journey import sign_in
from tests.e2e.test_grid_journey import shoot
from web.localtime import SHANGHAI

pytestmark = pytest.mark.e2e


def nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="主导航")


def sign_out(page: Page) -> None:
    page.locator("#site-account").get_by_role("button", name="退出").click()
    expect(page.locator("#site-account")).to_contain_text("登录")


def a_photo(folder: Path) -> Path:
    path = folder / "调解现场.jpg"
    Image.new("RGB", (320, 240), (120, 160, 90)).save(path, format="JPEG")
    return path


def card(page: Page, title: str) -> Locator:
    return page.locator("article.activity-card", has_text=title)


def find_in_queue(page: Page, title: str) -> Locator:
    """The record's card, paging on through the queue (oldest first) until it shows."""
    while card(page, title).count() == 0:
        page.locator("a.pager__next").click()
        expect(page).to_have_url(re.compile(r"/review\?after="))
    return card(page, title)


def test_a_leader_logs_a_mediation_grid_staff_verify_it_and_the_leader_sees_it_verified(
    live_server: LiveServer, page: Page, console_errors: ConsoleErrors, screenshots: Path, tmp_path: Path
) -> None:
    base = live_server.url
    title = f"调解3幢楼上楼下漏水纠纷 {uuid.uuid4().hex[:4]}"
    yesterday = (datetime.now(SHANGHAI) - timedelta(days=1)).date().isoformat()

    # GIVEN the demo leader signed in, WHEN they open 记一笔 from the navigation
    sign_in(page, base, "demo.leader")
    expect(page).to_have_url(re.compile(r"/workbench$"))
    nav(page).get_by_role("link", name="记一笔").click()
    expect(page.locator("main h1")).to_have_text("记一笔")
    expect(page.get_by_label("网格单元")).to_contain_text("第1网格")

    # WHEN they choose a mediation, THEN its outcome choices are swapped in (and volunteer hours out)
    page.get_by_label("活动类型").select_option(label="邻里纠纷调解")
    expect(page.get_by_role("group", name="调解结果")).to_be_visible()
    expect(page.locator("input[name=volunteer_hours]")).to_have_count(0)

    # WHEN they fill in the record and attach a photo
    page.get_by_role("radio", name="已化解").check()
    page.get_by_label("标题").fill(title)
    page.get_by_label("日期", exact=True).fill(yesterday)
    page.get_by_label("开始").fill("09:00")
    page.get_by_label("结束", exact=True).fill("10:30")
    page.get_by_label("地点").fill("南河头社区居民会客厅")
    page.get_by_label("参与人数").fill("4")
    page.get_by_label("经过").fill("约楼上楼下两户到居民会客厅协商，物业到场检查管道，约定本周内维修。")
    page.locator("input[name=photos]").set_input_files(a_photo(tmp_path))
    shoot(page, screenshots, "log-form")

    # AND submit it for review, THEN their records show it awaiting review, with the photo
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".alert--success")).to_contain_text("已提交审核")
    expect(page.locator("main h1")).to_have_text("我的记录")
    mine = card(page, title)
    expect(mine.locator(".status")).to_have_text("待审核")
    expect(mine).to_contain_text("已化解")
    expect(mine.locator("img")).to_have_count(1)
    photo = mine.locator("img")
    photo.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth === 320", arg=photo.element_handle())
    shoot(page, screenshots, "my-activities")
    sign_out(page)

    # WHEN the grid staff of 当湖街道 sign in and open 审核
    sign_in(page, base, "demo.grid.danghu")
    nav(page).get_by_role("link", name="审核").click()
    expect(page.locator("main h1")).to_have_text("审核活动记录")
    queued = find_in_queue(page, title)
    expect(queued).to_contain_text("南河头社区居民会客厅")
    # (a mediation is not public unless the verifier ticks 公开)
    expect(queued.get_by_role("checkbox", name=re.compile("^公开"))).not_to_be_checked()
    record_url = queued.locator(".activity-card__title a").get_attribute("href")
    assert record_url is not None
    queued.scroll_into_view_if_needed()
    shoot(page, screenshots, "review")

    # AND verify it, THEN it leaves the queue, not public
    queued.get_by_role("button", name=re.compile("^核实")).click()
    expect(page.locator(".alert--success")).to_contain_text("已核实。记录不公开")
    expect(card(page, title)).to_have_count(0)

    # WHEN they open the record's page, THEN they read it in full with the switch, and make it
    # public without its details
    page.goto(f"{base}{record_url}")
    expect(page.locator("main h1")).to_have_text(title)
    expect(page.locator(".activity-card__narrative")).to_contain_text("约楼上楼下两户")
    expect(page.locator(".activity-card__head")).to_contain_text("不公开")
    shoot(page, screenshots, "activity-staff")
    page.get_by_role("checkbox", name=re.compile("^公开")).check()
    page.get_by_role("button", name="保存公开范围").click()
    expect(page.locator(".alert--success")).to_have_text("已更新公开范围。")
    expect(page.locator(".activity-card__head")).to_contain_text("公开")
    sign_out(page)

    # WHEN the leader signs in again, THEN 我的记录 shows it verified
    sign_in(page, base, "demo.leader")
    nav(page).get_by_role("link", name="我的记录").click()
    expect(card(page, title).locator(".status")).to_have_text("已核实")

    # AND the public sees it in the grid's feed and on its page, without the narrative, place or photo
    sign_out(page)
    page.goto(f"{base}/grids/330482001005/activities?type=MEDIATION")
    expect(card(page, title)).to_be_visible()
    page.goto(f"{base}{record_url}")
    expect(page.locator("main h1")).to_have_text(title)
    expect(page.locator(".activity-card__withheld")).to_have_text("详情不公开。")
    expect(page.locator("main")).not_to_contain_text("约楼上楼下两户")
    expect(page.locator("main")).not_to_contain_text("南河头社区居民会客厅")
    expect(page.locator("main img")).to_have_count(0)
    shoot(page, screenshots, "activity-public")

    assert console_errors.messages == []


def test_the_public_directory_and_a_facilitators_session_page(
    live_server: LiveServer, page: Page, console_errors: ConsoleErrors, screenshots: Path
) -> None:
    base = live_server.url
    # GIVEN the seeded cohorts, WHEN anyone opens the directory from the navigation
    page.goto(f"{base}/")
    nav(page).get_by_role("link", name="微领袖").click()
    expect(page.locator("main h1")).to_have_text("微领袖")
    expect(page.locator(".leader-card").first).to_be_visible()
    names = page.locator(".leader-card .row-link").all_inner_texts()
    assert names
    assert all("*" in name for name in names)
    shoot(page, screenshots, "leaders")

    # WHEN filtering to certified leaders, THEN every card says so
    page.get_by_label("状态").select_option(label="已结业认证")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"status=CERTIFIED"))
    statuses = page.locator(".leader-card .status").all_inner_texts()
    assert statuses
    assert set(statuses) == {"已结业认证"}

    # WHEN bureau staff open a session of the second cohort and open check-in
    sign_in(page, base, "demo.bureau")
    expect(page).to_have_url(re.compile(r"/workbench$"))
    page.goto(f"{base}/leaders")
    page.get_by_label("期次").select_option(label="第二期")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"cohort=\d+"))
    page.locator(".leader-card .row-link").first.click()
    page.locator("main").get_by_role("link", name="第二期").click()
    expect(page.locator("main h1")).to_contain_text("第二期")
    page.locator("main table").first.get_by_role("link").last.click()
    expect(page.get_by_role("heading", name="现场签到")).to_be_visible()
    still_open = page.get_by_role("button", name="结束签到")
    if still_open.count():  # opened by an earlier run on the same demo: a new code replaces it
        still_open.click()
        expect(page.locator(".alert--success")).to_contain_text("签到已关闭")
    page.get_by_role("button", name="开放签到").click()

    # THEN the big code and the QR are shown, and the sheet is there
    expect(page.locator(".alert--success")).to_contain_text("签到已开放")
    expect(page.locator(".check-in-panel__code")).to_have_text(re.compile(r"^\d{6}$"))
    expect(page.locator("svg.check-in-qr")).to_be_visible()
    expect(page.locator("#attendance-sheet")).to_contain_text("报名")
    shoot(page, screenshots, "session")

    assert console_errors.messages == []
