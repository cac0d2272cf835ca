"""A resident on a phone finds a filed 居民互助类 organisation in their town, opens it, and sees
who to contact — masked. On the seeded demo, in Chromium at 390 and 1280 px; no console errors, no
sideways scrolling."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.conftest import ConsoleErrors
from tests.e2e.test_grid_journey import expect_current_nav, shoot

pytestmark = pytest.mark.e2e


def test_a_resident_finds_a_mutual_aid_group_and_sees_its_contact_masked(
    live_server: LiveServer, page: Page, console_errors: ConsoleErrors, screenshots: Path
) -> None:
    # GIVEN the seeded demo, WHEN a resident opens 社会组织 from the menu
    page.goto(f"{live_server.url}/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="社会组织").click()
    expect(page.locator("main h1")).to_have_text("社会组织")
    expect_current_nav(page, "社会组织")
    # THEN the directory leads with the report's figures
    expect(page.get_by_label("名录合计")).to_contain_text("560")
    expect(page.get_by_label("名录合计")).to_contain_text("1,989")

    # WHEN they narrow it to filed mutual-aid groups in 当湖街道
    page.get_by_label("镇（街道）").select_option(label="当湖街道")
    page.get_by_label("类型").select_option(label="社区社会组织")
    page.get_by_label("领域").select_option(label="居民互助类")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"form=COMMUNITY_GROUP"))
    cards = page.locator(".org-card")
    expect(cards.first).to_contain_text("居民互助类")
    expect(cards.first).to_contain_text("已备案")
    shoot(page, screenshots, "organisations-filtered")

    # AND open the first one
    name = cards.first.get_by_role("link").first.inner_text()
    cards.first.get_by_role("link").first.click()
    expect(page.locator("main h1")).to_have_text(name)
    contact = page.get_by_role("region", name="负责人与联系人")
    # THEN the contact is there, masked (a surname and stars), with no phone number
    expect(contact).to_contain_text(re.compile(r"联系人：\S\*+"))
    expect(contact).not_to_contain_text(re.compile(r"1[3-9]\d"))
    expect(page.locator(".page-header .badge--demo")).to_have_text("演示数据")
    shoot(page, screenshots, "organisation")
