"""The header on a phone: brand and account on one line, the menu one row that scrolls inside
itself with the current page's entry in view; on a laptop, everything on one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.conftest import ConsoleErrors
from tests.e2e.test_account_journey import sign_in
from tests.e2e.test_grid_journey import shoot

pytestmark = pytest.mark.e2e


def test_the_menu_of_bureau_staff_is_one_row_with_the_current_page_in_view(
    live_server: LiveServer, page: Page, console_errors: ConsoleErrors, screenshots: Path
) -> None:
    # GIVEN bureau staff, whose menu is the longest, signed in
    sign_in(page, live_server.url, "demo.bureau")
    expect(page.get_by_role("button", name="退出")).to_be_visible()

    # WHEN they open the last entry of the menu
    page.goto(f"{live_server.url}/admin/audit")
    expect(page.locator("main h1")).to_have_text("审计日志")

    # THEN every entry stands on one row, the header stays short, and the current entry is shown
    tops = page.locator("#site-nav li").evaluate_all("items => items.map(i => i.offsetTop)")
    assert len(tops) >= 7
    assert len(set(tops)) == 1
    header = page.locator(".site-header").bounding_box()
    assert header is not None
    assert header["height"] <= 120
    current = page.locator("#site-nav [aria-current=page]").bounding_box()
    width = (page.viewport_size or {"width": 0})["width"]
    assert current is not None
    assert current["x"] >= 0
    assert current["x"] + current["width"] <= width
    shoot(page, screenshots, "header-bureau")
    assert console_errors.messages == []
