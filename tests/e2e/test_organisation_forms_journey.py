"""Bureau staff on a phone file a 社区社会组织: the form first comes back with the missing name named
beside its input and in the summary, then the filing is saved and the directory lists it. On the
seeded demo, in Chromium at 390 and 1280 px; no console errors, no sideways scrolling."""

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


def test_bureau_staff_file_a_community_group_after_fixing_the_name(
    live_server: LiveServer, page: Page, console_errors: ConsoleErrors, screenshots: Path
) -> None:
    base = live_server.url
    tag = uuid.uuid4().hex[:4]
    name = f"当湖读书会{tag}"
    # GIVEN bureau staff, WHEN they open 新增社会组织 from the directory
    sign_in(page, base, "demo.bureau")
    expect(page).to_have_url(re.compile(r"/workbench$"))
    page.goto(f"{base}/organisations")
    page.get_by_role("link", name="新增社会组织").click()
    expect(page.locator("main h1")).to_have_text("新增社会组织")
    shoot(page, screenshots, "organisation-new")

    # AND fill a filing in 当湖街道 but forget the name
    page.get_by_label("组织类型").select_option(label="社区社会组织")
    page.get_by_label("领域").select_option(label="文体类")
    page.get_by_label("活动地（网格单元）").select_option(label="当湖街道")
    page.get_by_label("备案编号").fill(f"当湖备-E2E-{tag}")
    page.get_by_label("备案镇（街道）或社区").select_option(label="当湖街道")
    page.get_by_role("button", name="保存").click()

    # THEN the form names the missing name at the top and beside the input, keeping the rest
    summary = page.locator(".error-summary")
    expect(summary.locator("li")).to_have_text(["名称：组织名称须为 2–100 个字符"])
    expect(page.locator("#org-name-error")).to_have_text("组织名称须为 2–100 个字符")
    expect(page.get_by_label("备案编号")).to_have_value(f"当湖备-E2E-{tag}")
    shoot(page, screenshots, "organisation-new-errors")

    # WHEN they follow the summary's link and give a name
    summary.get_by_role("link").click()
    page.get_by_label("名称", exact=True).fill(name)
    page.get_by_role("button", name="保存").click()

    # THEN its page says saved and shows the filing and the staff forms
    expect(page.locator("main h1")).to_have_text(name)
    expect(page.get_by_role("status")).to_contain_text("已保存")
    expect(page.locator("main")).to_contain_text(f"当湖备-E2E-{tag}")
    page.get_by_text("列入名录", exact=True).click()
    shoot(page, screenshots, "organisation-actions")

    # AND the directory, narrowed to 当湖街道 and the name, lists it
    page.goto(f"{base}/organisations")
    page.get_by_label("镇（街道）").select_option(label="当湖街道")
    page.get_by_label("名称").fill(tag)
    page.get_by_role("button", name="筛选").click()
    expect(page.locator(".org-card")).to_have_count(1)
    expect(page.locator(".org-card")).to_contain_text(name)
    expect(page.locator(".org-card")).to_contain_text("已备案")

    # WHEN they deregister it again (the demo's totals are the report's figures, which other
    # journeys on this server read), THEN it leaves the directory's totals
    page.locator(".org-card").get_by_role("link").first.click()
    page.locator("#deregister-form summary").click()
    page.get_by_label("注销原因").fill("端到端测试的备案，已撤回")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#deregister-form").get_by_role("button", name="注销").click()
    expect(page.locator("main")).to_contain_text("已注销")
    # the refused form answers 422, which the browser logs; nothing else may fail
    assert [m for m in console_errors.messages if "status of 422" not in m] == []
