"""The bureau's training pages in Chromium, on the seeded demo: 培训 in the menu leads to the
cohorts list (首期's year 待核实); a cohort form refused with every error at once, then saved; a
one-to-one coaching appointment planned; a certificate opened and laid out for print (A4, no menu
or buttons). Screenshots at 390 px and 1280 px; no console errors, no sideways scrolling."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.conftest import ConsoleErrors
from tests.e2e.test_account_journey import sign_in
from tests.e2e.test_grid_journey import shoot

pytestmark = pytest.mark.e2e


def test_the_bureau_runs_training_from_the_menu(
    live_server: LiveServer, page: Page, console_errors: ConsoleErrors, screenshots: Path
) -> None:
    base = live_server.url
    width = (page.viewport_size or {"width": 0})["width"]
    name = f"第{uuid.uuid4().hex[:4]}期"

    # GIVEN the bureau signed in, WHEN they open 培训 from the menu
    sign_in(page, base, "demo.bureau")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="培训").click()
    # THEN the cohorts list shows both cohorts, 首期's year to be verified
    expect(page).to_have_url(re.compile(r"/training$"))
    first = page.locator("tr", has_text="首期")
    expect(first).to_contain_text("2019")
    expect(first).to_contain_text("待核实")
    shoot(page, screenshots, "training-cohorts")

    # WHEN a cohort is sent with a blank name and a year in words
    page.get_by_role("link", name="新建培训期").click()
    page.get_by_label("年份", exact=True).fill("去年")
    page.get_by_label("结业所需必修出席比例").fill("2")
    page.get_by_role("button", name="保存").click()
    # THEN every error shows at once, beside its input, and the typed year is kept
    expect(page.locator(".field__error")).to_have_count(3)
    expect(page.get_by_label("年份", exact=True)).to_have_value("去年")
    shoot(page, screenshots, "training-cohort-errors")
    # WHEN it is corrected, THEN the cohort page opens, saved
    page.get_by_label("期次名称").fill(name)
    page.get_by_label("年份", exact=True).fill("2027")
    page.get_by_label("结业所需必修出席比例").fill("0.8")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    expect(page.get_by_role("status")).to_contain_text("培训期已保存")

    # WHEN a one-to-one coaching appointment is planned, THEN the form says so and it is saved
    page.get_by_role("link", name="预约个案辅导").click()
    expect(page.get_by_label("名额")).to_have_value("1")
    expect(page.locator("#session-capacity-hint")).to_contain_text("一对一")
    page.get_by_label("标题").fill("个案辅导：社区议事一对一督导")
    page.get_by_label("日期").fill("2027-03-06")
    page.get_by_label("开始").fill("14:00")
    page.get_by_label("结束").fill("15:30")
    page.get_by_label("地点").fill("平湖市社会工作服务指导中心督导室")
    page.get_by_label("主持人 / 督导").fill("沈督导")
    page.get_by_label("学时").fill("1.5")
    shoot(page, screenshots, "training-session-form")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("个案辅导：社区议事一对一督导")
    expect(page.locator(".page-header__lead")).to_contain_text("一对一预约")

    # WHEN they open 首期's certificates and one certificate
    page.goto(f"{base}/training")
    page.locator("tr", has_text="首期").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("首期")
    expect(page.locator(".page-header__lead")).to_contain_text("年份待核实")
    shoot(page, screenshots, "training-cohort")
    page.get_by_role("link", name="结业证书").click()
    page.get_by_role("link", name="PH-WLX-2019-0001").click()
    certificate = page.locator("article.certificate")
    expect(certificate).to_contain_text("结业证书")
    expect(certificate).to_contain_text("PH-WLX-2019-0001")
    shoot(page, screenshots, "training-certificate")
    # THEN printed, it is on A4 with no menu and no buttons
    page.emulate_media(media="print")
    expect(page.locator("header.site-header")).to_be_hidden()
    expect(page.get_by_role("navigation", name="主导航")).to_be_hidden()
    expect(page.get_by_role("button", name="打印证书")).to_be_hidden()
    expect(certificate).to_be_visible()
    if width == 1280:
        page.pdf(path=str(screenshots / "training-certificate.pdf"), prefer_css_page_size=True)
    page.emulate_media(media="screen")
    # The refused form answered 422 on purpose (the browser logs it); nothing else went wrong.
    refused = [m for m in console_errors.messages if "status of 422" in m]
    assert len(refused) == 1
    assert [m for m in console_errors.messages if m not in refused] == []
