"""记一笔 in Chromium with mistakes: the leader forgets the title and the outcome and attaches a
photo; the form comes back naming both errors, with the photo kept as a thumbnail; once fixed,
the saved record carries the photo without choosing it again. No console errors, no sideways
scrolling."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.conftest import ConsoleErrors
from tests.e2e.test_account_journey import sign_in
from tests.e2e.test_grid_journey import shoot
from tests.e2e.test_leader_journey import a_photo, card
from web.localtime import SHANGHAI

pytestmark = pytest.mark.e2e


def test_a_refused_log_form_keeps_its_photo_and_the_saved_record_has_it(
    live_server: LiveServer, page: Page, console_errors: ConsoleErrors, screenshots: Path, tmp_path: Path
) -> None:
    base = live_server.url
    title = f"调解车位纠纷 {uuid.uuid4().hex[:4]}"
    yesterday = (datetime.now(SHANGHAI) - timedelta(days=1)).date().isoformat()

    # GIVEN the demo leader on 记一笔, WHEN they send a mediation with a photo but no title and
    # no outcome
    sign_in(page, base, "demo.leader")
    expect(page).to_have_url(re.compile(r"/workbench$"))
    page.goto(f"{base}/me/log/new")
    page.get_by_label("活动类型").select_option(label="邻里纠纷调解")
    expect(page.get_by_role("group", name="调解结果")).to_be_visible()
    page.get_by_label("日期", exact=True).fill(yesterday)
    page.get_by_label("开始").fill("14:00")
    page.get_by_label("结束", exact=True).fill("15:00")
    page.locator("input[name=photos]").set_input_files(a_photo(tmp_path))
    page.get_by_role("button", name="保存草稿").click()

    # THEN the form names both errors at the top and beside their inputs, and keeps the photo
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("已选择的照片已为您保留")
    expect(summary.locator("li")).to_have_text(["标题须为 1–100 个字符", "调解结果：调解活动须填写调解结果"])
    expect(page.locator("#log-title-error")).to_have_text("标题须为 1–100 个字符")
    expect(page.locator("#log-outcome-error")).to_have_text("调解活动须填写调解结果")
    thumbnail = page.get_by_role("img", name="已选择的照片 1")
    page.wait_for_function("img => img.complete && img.naturalWidth === 320", arg=thumbnail.element_handle())
    expect(page.get_by_role("checkbox", name="保留")).to_be_checked()
    shoot(page, screenshots, "log-form-errors")

    # WHEN they fix both and save, without choosing the photo again
    page.get_by_label("标题").fill(title)
    page.get_by_role("radio", name="已化解").check()
    page.get_by_role("button", name="保存草稿").click()

    # THEN the draft is saved with its photo
    expect(page.locator(".alert--success")).to_contain_text("已保存草稿")
    saved = card(page, title)
    expect(saved.locator("img")).to_have_count(1)
    # The refused form answered 422 on purpose (the browser logs it); nothing else went wrong.
    assert [m for m in console_errors.messages if "status of 422" not in m] == []
