"""The 演示数据 badge in Chromium, on the seeded demo (everything seeded is generated): it sits on
the cohorts, leaders, sessions, records and certificates the seeds made, never on a cohort the
bureau creates, and it never breaks a layout: each badge stays small, inside the viewport, beside
its text, at 390 px and 1280 px; a printed demo certificate still says so. Screenshots of each."""

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

BADGE = ".badge--demo"


def badges_fit(page: Page, least: int = 1) -> None:
    """At least `least` badges, each a small pill inside the viewport (not stretched to a row)."""
    width = (page.viewport_size or {"width": 0})["width"]
    boxes = [box for box in (b.bounding_box() for b in page.locator(BADGE).all()) if box]
    assert len(boxes) >= least, f"{len(boxes)} badges on {page.url}"
    for box in boxes:
        assert box["x"] >= 0, (page.url, box)
        assert box["x"] + box["width"] <= width, (page.url, box)
        assert box["width"] <= 90, (page.url, box)
        assert box["height"] <= 28, (page.url, box)


def test_generated_objects_wear_the_badge_and_it_fits_the_page(
    live_server: LiveServer, page: Page, console_errors: ConsoleErrors, screenshots: Path
) -> None:
    base = live_server.url
    name = f"真实{uuid.uuid4().hex[:4]}期"
    # GIVEN the bureau signed in, and a real cohort created through the form
    sign_in(page, base, "demo.bureau")
    expect(page).to_have_url(re.compile(r"/workbench$"))
    page.goto(f"{base}/training/cohorts/new")
    page.get_by_label("期次名称").fill(name)
    page.get_by_label("年份", exact=True).fill("2027")
    page.get_by_label("结业所需必修出席比例").fill("0.8")
    page.get_by_role("button", name="保存").click()
    # THEN the real cohort's page has no badge (the header's 演示 beside a demo account's name aside)
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    expect(page.locator("main").locator(BADGE)).to_have_count(0)

    # WHEN the cohorts list opens THEN the seeded cohorts are badged 演示, the real one is not
    page.goto(f"{base}/training")
    expect(page.locator("tr", has_text="第二期").locator(BADGE)).to_have_text("演示")
    expect(page.locator("tr", has_text="首期").locator(BADGE)).to_have_text("演示")
    expect(page.locator("tr", has_text=name).locator(BADGE)).to_have_count(0)
    badges_fit(page, 2)
    shoot(page, screenshots, "demo-cohorts")

    # AND a seeded cohort, its session, a leader, a record and a certificate say 演示数据
    page.locator("tr", has_text="第二期").get_by_role("link").click()
    expect(page.locator(".page-header").locator(BADGE)).to_have_text("演示数据")
    badges_fit(page, 3)
    shoot(page, screenshots, "demo-cohort")
    page.locator("tbody tr").first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/training/sessions/\d+$"))
    expect(page.locator(".page-header").locator(BADGE)).to_have_text("演示数据")
    badges_fit(page)
    shoot(page, screenshots, "demo-session")
    page.goto(f"{base}/leaders")
    badges_fit(page, 10)
    shoot(page, screenshots, "demo-leaders")
    page.locator(".leader-card").first.get_by_role("link").first.click()
    expect(page.locator(".page-header").locator(BADGE)).to_have_text("演示数据")
    badges_fit(page)
    shoot(page, screenshots, "demo-leader")
    page.goto(f"{base}/grids/330482001/activities")
    page.locator(".activity-card__title a").first.click()
    expect(page.locator(".page-header").locator(BADGE)).to_have_text("演示数据")
    badges_fit(page, 2)
    shoot(page, screenshots, "demo-activity")
    page.goto(f"{base}/certificates/PH-WLX-2019-0001")
    badges_fit(page)
    shoot(page, screenshots, "demo-certificate")
    # and printed, the demo certificate still says so
    page.emulate_media(media="print")
    expect(page.locator("article.certificate").locator(BADGE)).to_be_visible()
    page.emulate_media(media="screen")
    assert console_errors.messages == []


def test_a_seeded_leader_sees_the_badge_on_their_desk_and_training(
    live_server: LiveServer, page: Page, console_errors: ConsoleErrors, screenshots: Path
) -> None:
    base = live_server.url
    # WHEN the demo leader signs in THEN their workbench and training wear small badges
    sign_in(page, base, "demo.leader")
    expect(page).to_have_url(re.compile(r"/workbench$"))
    badges_fit(page, 2)
    shoot(page, screenshots, "demo-workbench")
    page.goto(f"{base}/me/training")
    expect(page.locator(".page-header").locator(BADGE)).to_have_text("演示数据")
    badges_fit(page, 2)
    shoot(page, screenshots, "demo-my-training")
    assert console_errors.messages == []


def test_the_header_shows_a_three_character_name_whole(
    live_server: LiveServer, page: Page, console_errors: ConsoleErrors
) -> None:
    # WHEN the demo reviewer (a three-character name) signs in, on a phone and on a desktop
    sign_in(page, live_server.url, "demo.reviewer")
    expect(page).not_to_have_url(re.compile(r"/signin"))
    page.goto(f"{live_server.url}/funding")
    name = page.locator("#site-account .site-account__name")
    # THEN the name is shown whole (not cut to one character and an ellipsis), the bar stays
    # inside the page, and the account link keeps its name for assistive technology
    assert len(name.inner_text()) == 3
    assert name.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    expect(page.locator("#site-account").get_by_role("link", name="我的账号")).to_be_visible()
    assert console_errors.messages == []
