"""A walk through the grid browser in Chromium, on the seeded demo: drill down from a town to a
micro-grid by clicking (htmx swaps the panel and pushes the URL), go back, search by code and
open the result. No console errors (CSP violations included), no sideways scrolling."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.conftest import ConsoleErrors

pytestmark = pytest.mark.e2e


def shoot(page: Page, screenshots: Path, name: str) -> None:
    """Save a full-page screenshot, and check the page fits the viewport's width."""
    width = (page.viewport_size or {"width": 0})["width"]
    page.mouse.move(0, 0)  # no stray hover highlight from the last click
    page.screenshot(path=screenshots / f"{name}-{width}.png", full_page=True)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{name} scrolls sideways at {width}px ({scroll_width}px wide)"


def expect_current_nav(page: Page, label: str) -> None:
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.locator("[aria-current=page]")).to_have_text(label)


def expect_cell(page: Page, code: str, name: str, trail: list[str]) -> None:
    expect(page).to_have_url(re.compile(rf"/grids/{code}$"))
    expect(page.locator("main h1")).to_have_text(name)
    expect(page.get_by_role("navigation", name="所在位置").locator("li")).to_have_text([*trail, name])


def open_child(page: Page, name: str) -> None:
    page.locator("main table").get_by_role("link", name=name, exact=True).click()


def test_drill_down_from_town_to_micro_grid_then_search_by_code(
    live_server: LiveServer, page: Page, console_errors: ConsoleErrors, screenshots: Path
) -> None:
    # GIVEN the seeded demo, WHEN the home page is opened
    page.goto(f"{live_server.url}/")
    expect(page.locator("main h1")).to_have_text("平湖市社区网格")
    shoot(page, screenshots, "home")
    # A full page load would wipe this marker; htmx swaps keep it.
    page.evaluate("window.journeyMarker = 'still here'")

    # WHEN the user goes to the grid browser
    page.get_by_role("link", name="浏览网格").click()
    expect(page).to_have_url(re.compile(r"/grids$"))
    expect(page.locator("main h1")).to_have_text("平湖市")
    expect(page.locator("main tbody tr")).to_have_count(9)
    expect_current_nav(page, "网格浏览")
    shoot(page, screenshots, "grids")

    # WHEN clicking down the tree: a town, a community, a grid, a micro-grid
    open_child(page, "当湖街道")
    expect_cell(page, "330482001", "当湖街道", ["平湖市"])
    shoot(page, screenshots, "town")

    open_child(page, "南河头社区")
    expect_cell(page, "330482001005", "南河头社区", ["平湖市", "当湖街道"])
    shoot(page, screenshots, "community")

    open_child(page, "第1网格")
    expect_cell(page, "330482001005001", "第1网格", ["平湖市", "当湖街道", "南河头社区"])
    shoot(page, screenshots, "grid")

    micro_grid = page.locator("main tbody a").first
    micro_grid_name = micro_grid.inner_text()
    micro_grid.click()
    expect_cell(page, "33048200100500101", micro_grid_name, ["平湖市", "当湖街道", "南河头社区", "第1网格"])
    expect(page).to_have_title(f"{micro_grid_name} · 邻治")
    shoot(page, screenshots, "micro-grid")

    # THEN every step swapped the panel in place, and focus moved to the new heading
    assert page.evaluate("window.journeyMarker") == "still here"
    assert page.evaluate("document.activeElement.tagName") == "H1"

    # WHEN going back, THEN the grid comes back
    page.go_back()
    expect_cell(page, "330482001005001", "第1网格", ["平湖市", "当湖街道", "南河头社区"])

    # WHEN searching by a community's code on the search page
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="搜索").click()
    expect_current_nav(page, "搜索")
    # the swap has settled once focus is on the new heading (app.js moves it there): typing
    # before that, under load, lost keystrokes to the heading
    expect(page.locator("main h1")).to_have_text("搜索")
    expect(page.locator("main h1")).to_be_focused()
    page.get_by_label("名称、编码或标题").fill("330482001005")
    page.get_by_label("名称、编码或标题").press("Enter")
    # THEN its cells section lists the community
    result = page.locator("main .result-list").get_by_role("link", name="南河头社区", exact=True)
    expect(result).to_be_visible()
    expect(page).to_have_url(re.compile(r"/search\?q=330482001005$"))
    expect(page.locator("main .result-list li").first).to_contain_text("330482001005")
    shoot(page, screenshots, "search")

    # AND opening the result shows the community
    result.click()
    expect_cell(page, "330482001005", "南河头社区", ["平湖市", "当湖街道"])
    expect_current_nav(page, "网格浏览")
    assert page.evaluate("window.journeyMarker") == "still here"

    # THEN nothing went wrong in the console, and the CSP blocked nothing
    assert console_errors.messages == []


def test_an_unknown_code_shows_the_chinese_404_page(
    live_server: LiveServer, page: Page, console_errors: ConsoleErrors, screenshots: Path
) -> None:
    # GIVEN the seeded demo, WHEN a code that does not exist is opened
    response = page.goto(f"{live_server.url}/grids/330482999")

    # THEN the page says so in Chinese, with ways back into the site
    assert response is not None
    assert response.status == 404
    expect(page.locator("main h1")).to_have_text("页面不存在")
    expect(page.locator("main")).to_contain_text("没有编码为 330482999 的网格单元。")
    expect(page.get_by_role("link", name="返回首页")).to_be_visible()
    shoot(page, screenshots, "not-found")

    # WHEN a panel swap meets a missing code, THEN the same message replaces the panel
    page.goto(f"{live_server.url}/grids")
    page.evaluate("htmx.ajax('GET', '/grids/330482998', '#main')")
    expect(page.locator("main")).to_contain_text("没有编码为 330482998 的网格单元。")

    # AND the only console messages are Chromium reporting the 404 statuses themselves
    assert [m for m in console_errors.messages if "404" not in m] == []
